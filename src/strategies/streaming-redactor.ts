/**
 * Streaming redaction: applies redaction rules to a token stream so that the concatenated output
 * equals the redaction of the whole text, however the text was split into tokens.
 *
 * How (see redaction-scanner.ts): the text is decided left to right; at each position the first
 * rule (in order) whose pattern matches and whose `replace` accepts wins, and the scan resumes
 * after it. A push emits everything before the first position where some rule could still grow
 * into a match, and holds the rest; it costs about the pushed characters, not the held text.
 */
import type { TokenRedactor } from '../ports';
import { compileRules } from './compiled-rules';
import type { RedactionRule } from './redaction-rule';
import { Scanner } from './redaction-scanner';

/** Options for {@link createRedactor}. */
export interface RedactorOptions {
  /** Most characters (UTF-16 code units, as `String.length` counts) emitted in total; text beyond is dropped. Default: no limit. */
  readonly maxLength?: number;
  /**
   * Most characters held back. Beyond it the held text is released, redacted as if the source
   * ended there, so memory stays bounded; a match longer than this (a very long token) is then
   * cut and its rest passes through. Blocks of a block rule (private keys) are exempt: they are
   * never released, and cost no memory while open. Default 4096.
   */
  readonly maxHoldBack?: number;
}

/** The rules applied to a whole text (what a stream of its pieces adds up to). Throws a TypeError for a malformed rule. */
export const redactText = (rules: readonly RedactionRule[], text: string): string => new Scanner(compileRules(rules)).redact(text);

const checkCount = (name: string, value: number): number => {
  if (!(value === Infinity || (Number.isInteger(value) && value >= 0))) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return value;
};

/**
 * A redactor for one source's tokens. `push` returns what is safe to emit now; `flush` (the
 * source ended) returns the redacted rest and resets the redactor. For any split of a text,
 * the pushes' outputs plus `flush()` equal `redactText(rules, text)` (cut to `maxLength`), as
 * long as no more than `maxHoldBack` characters had to be held. Rules are compiled once per
 * rule array; a malformed rule or shape is a TypeError here, a bad option a RangeError.
 */
export const createRedactor = (rules: readonly RedactionRule[], options: RedactorOptions = {}): TokenRedactor => {
  const scanner = new Scanner(compileRules(rules));
  const maxLength = checkCount('maxLength', options.maxLength ?? Infinity);
  const maxHoldBack = checkCount('maxHoldBack', options.maxHoldBack ?? 4096);
  let emitted = 0;

  const cap = (out: string): string => {
    if (emitted + out.length < maxLength) {
      emitted += out.length;
      return out;
    }
    const room = maxLength - emitted;
    emitted = maxLength;
    scanner.load('', 0);
    return out.length > room ? out.slice(0, room) : out;
  };

  return {
    push(text: string): string {
      if (emitted >= maxLength || text === '') return '';
      const out = scanner.push(text, maxHoldBack);
      return out === '' ? out : cap(out);
    },
    flush(): string {
      const out = emitted >= maxLength ? '' : scanner.finish();
      scanner.load('', 0);
      const capped = out === '' ? out : cap(out);
      emitted = 0;
      return capped;
    },
  };
};
