/**
 * Streaming redaction: applies redaction rules to a token stream so that the concatenated output
 * equals the redaction of the whole text, however the text was split into tokens.
 *
 * How: the pending text is scanned left to right; at each position the first rule (in order)
 * whose pattern matches and whose `replace` accepts wins, and the scan resumes after it. A push
 * finalises everything before the earliest position where any rule's `tail` still matches (text
 * from there could grow into a match), plus any match that starts before it; the rest is held.
 */
import type { TokenRedactor } from '../ports';
import type { RedactionRule } from './redaction-rules';

/** Options for {@link createRedactor}. */
export interface RedactorOptions {
  /** Most characters (UTF-16 code units, as `String.length` counts) emitted in total; text beyond is dropped. Default: no limit. */
  readonly maxLength?: number;
  /**
   * Most characters held back. Beyond it the held text is released, redacted as if the source
   * ended there, so memory stays bounded; a match longer than this (e.g. a huge key block) is
   * then cut and its rest passes through. Default 4096.
   */
  readonly maxHoldBack?: number;
}

/** Characters of already emitted text kept for the rules' lookbehinds. */
const CONTEXT = 16;

interface Compiled {
  /** Zero-width regexes, one per flag set: `lastIndex` after `test` = leftmost start of any pattern. */
  readonly finders: readonly RegExp[];
  /** The same for the tails, anchored at the end. */
  readonly tails: readonly RegExp[];
  /** Each rule's pattern, sticky, to match at a known position. */
  readonly sticky: readonly RegExp[];
  readonly rules: readonly RedactionRule[];
}

/** Mutable scratch shared by one redactor's scans, so a scan returns a string and allocates nothing else. */
interface Scratch { end: number; replacement: string }

const baseFlags = (re: RegExp): string => re.flags.replace(/[dgy]/g, '');

/** One zero-width alternation per flag set (rules may differ in flags such as `i` or `u`). */
const combine = (regexes: readonly RegExp[], suffix: string): RegExp[] => {
  const byFlags = new Map<string, string[]>();
  for (const re of regexes) {
    const flags = baseFlags(re);
    byFlags.set(flags, [...(byFlags.get(flags) ?? []), `(?:${re.source})`]);
  }
  return [...byFlags].map(([flags, sources]) => new RegExp(`(?=(?:${sources.join('|')})${suffix})`, `${flags}g`));
};

const compiledCache = new WeakMap<readonly RedactionRule[], Compiled>();

const compile = (rules: readonly RedactionRule[]): Compiled => {
  let compiled = compiledCache.get(rules);
  if (compiled === undefined) {
    compiled = {
      finders: combine(rules.map((r) => r.pattern), ''),
      tails: combine(rules.map((r) => r.tail), '$'),
      sticky: rules.map((r) => new RegExp(r.pattern.source, `${baseFlags(r.pattern)}y`)),
      rules,
    };
    compiledCache.set(rules, compiled);
  }
  return compiled;
};

/** Leftmost position >= from where one of the zero-width regexes matches, or -1. */
const leftmost = (regexes: readonly RegExp[], text: string, from: number): number => {
  let best = -1;
  for (let i = 0; i < regexes.length; i++) {
    const re = regexes[i]!;
    re.lastIndex = from;
    if (re.test(text) && (best < 0 || re.lastIndex < best)) best = re.lastIndex;
  }
  return best;
};

const tailStart = (c: Compiled, text: string, from: number): number => {
  const start = leftmost(c.tails, text, from);
  return start < 0 ? text.length : start;
};

/** The first rule that matches at `at` (non-empty) and accepts: sets scratch, returns true. */
const replaceAt = (c: Compiled, text: string, at: number, scratch: Scratch): boolean => {
  for (let i = 0; i < c.sticky.length; i++) {
    const re = c.sticky[i]!;
    re.lastIndex = at;
    if (!re.test(text) || re.lastIndex <= at) continue;
    const replacement = c.rules[i]!.replace(text.slice(at, re.lastIndex));
    if (replacement !== null) {
      scratch.end = re.lastIndex;
      scratch.replacement = replacement;
      return true;
    }
  }
  return false;
};

/**
 * Redacts `text` from `from`. Streaming: stops at the earliest tail start (or after a match that
 * began before it); otherwise runs to the end. Sets `scratch.end` to where it stopped.
 */
const redactFrom = (c: Compiled, text: string, from: number, streaming: boolean, scratch: Scratch): string => {
  let limit = streaming ? tailStart(c, text, from) : text.length;
  let out = '';
  let copied = from;
  let at = from;
  while (at < limit) {
    const start = leftmost(c.finders, text, at);
    if (start < 0 || start >= limit) break;
    if (!replaceAt(c, text, start, scratch)) {
      at = start + 1;
      continue;
    }
    out += text.slice(copied, start) + scratch.replacement;
    copied = at = scratch.end;
    if (at > limit) limit = streaming ? tailStart(c, text, at) : text.length;
  }
  if (limit > copied) out = out === '' ? text.slice(copied, limit) : out + text.slice(copied, limit);
  scratch.end = limit;
  return out;
};

/** The rules applied to a whole text (what a stream of its pieces adds up to). */
export const redactText = (rules: readonly RedactionRule[], text: string): string =>
  redactFrom(compile(rules), text, 0, false, { end: 0, replacement: '' });

const checkCount = (name: string, value: number): number => {
  if (!(value === Infinity || (Number.isInteger(value) && value >= 0))) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return value;
};

/**
 * A redactor for one source's tokens. `push` returns what is safe to emit now; `flush` (the
 * source ended) returns the redacted rest and resets the redactor. For any split of a text,
 * the pushes' outputs plus `flush()` equal `redactText(rules, text)` (cut to `maxLength`), as
 * long as no more than `maxHoldBack` characters had to be held. Regexes are built once here.
 */
export const createRedactor = (rules: readonly RedactionRule[], options: RedactorOptions = {}): TokenRedactor => {
  const c = compile(rules);
  const maxLength = checkCount('maxLength', options.maxLength ?? Infinity);
  const maxHoldBack = checkCount('maxHoldBack', options.maxHoldBack ?? 4096);
  const scratch: Scratch = { end: 0, replacement: '' };
  let buffer = ''; // up to CONTEXT emitted characters, then the held text
  let base = 0; // where the held text starts in buffer
  let emitted = 0;

  const cap = (out: string): string => {
    if (emitted + out.length < maxLength) {
      emitted += out.length;
      return out;
    }
    const room = maxLength - emitted;
    emitted = maxLength;
    buffer = '';
    base = 0;
    return out.length > room ? out.slice(0, room) : out;
  };

  return {
    push(text: string): string {
      if (emitted >= maxLength || text === '') return '';
      buffer = buffer === '' ? text : buffer + text;
      let out = redactFrom(c, buffer, base, true, scratch);
      let cut = scratch.end;
      if (buffer.length - cut > maxHoldBack) {
        out += redactFrom(c, buffer, cut, false, scratch);
        cut = buffer.length;
      }
      const drop = cut > CONTEXT ? cut - CONTEXT : 0;
      if (drop > 0) buffer = buffer.slice(drop);
      base = cut - drop;
      return out === '' ? out : cap(out);
    },
    flush(): string {
      const out = emitted >= maxLength || base === buffer.length ? '' : cap(redactFrom(c, buffer, base, false, scratch));
      buffer = '';
      base = 0;
      emitted = 0;
      return out;
    },
  };
};
