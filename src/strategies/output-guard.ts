/** The output guards: the default one (built-in redaction rules plus a length cap) and a pass-through. */
import { createHash } from 'node:crypto';
import type { OutputGuard, TokenRedactor } from '../ports';
import { builtInRules, type RedactionRule } from './redaction-rules';
import { createRedactor, redactText } from './streaming-redactor';

/** Options for {@link defaultGuard}. */
export interface DefaultGuardOptions {
  /** Replaces the built-in rules. */
  readonly rules?: readonly RedactionRule[];
  /** Added after the rules (built-in or given), so they lose ties at the same position. */
  readonly extraRules?: readonly RedactionRule[];
  /** Most characters of output per source (streamed) and per text (`apply`); the rest is dropped. Default 100_000. */
  readonly maxLength?: number;
}

/**
 * The default guard: redaction rules over streamed tokens and final texts, output cut to
 * `maxLength`. Its version is a short SHA-256 of the rules' ids, versions, patterns (and block
 * head and end lines) and of `maxLength`, so changing any of them changes cache keys. Throws a
 * TypeError for a malformed rule, a RangeError for a bad `maxLength`.
 */
export const defaultGuard = (options: DefaultGuardOptions = {}): OutputGuard => {
  const rules: readonly RedactionRule[] = Object.freeze([...(options.rules ?? builtInRules), ...(options.extraRules ?? [])]);
  const maxLength = options.maxLength ?? 100_000;
  createRedactor(rules, { maxLength }); // validates the options and compiles the rules once, now
  const version = createHash('sha256')
    .update(JSON.stringify({ rules: rules.map((r) => [r.id, r.version, r.pattern.source, r.pattern.flags, ...(r.block === undefined ? [] : [r.block.head.source, r.block.end.source])]), maxLength: String(maxLength) }))
    .digest('hex')
    .slice(0, 16);
  return {
    id: 'default',
    version,
    open: () => createRedactor(rules, { maxLength }),
    apply: (text) => {
      const redacted = redactText(rules, text);
      return redacted.length > maxLength ? redacted.slice(0, maxLength) : redacted;
    },
  };
};

const passThrough: TokenRedactor = { push: (text) => text, flush: () => '' };

/** A guard that changes nothing (version 'none'), for tests and trusted output. */
export const noGuard: OutputGuard = Object.freeze({ id: 'none', version: 'none', open: () => passThrough, apply: (text: string) => text });
