/**
 * The shape of a redaction rule (public API) and the two optional outlines that make a stream
 * fast and strict: a {@link RuleShape} to follow a possible match character by character, and a
 * {@link RuleBlock} for matches of any length (a private-key block).
 */

/** One step of a {@link RuleShape}: a run of `min` to `max` characters, each matched by `chars`. */
export interface ShapeStep {
  /** A regex for ONE character, e.g. `/[\w-]/` (flags other than `i` and `u` are ignored). */
  readonly chars: RegExp;
  readonly min: number;
  readonly max: number;
}

/**
 * A regex-free outline of a rule's matches, so that a stream can follow a possible match one
 * character at a time (no regex over held text) and run `pattern` only where a match is possible.
 *
 * A string fits the shape when, read left to right, each character either extends the current
 * step (its class holds the character and the step has fewer than `max`) or, once the step has
 * its `min`, starts one of the next steps (a step with `min: 0` may be skipped). Contract: every
 * match of `pattern` that `replace` accepts fits the shape, so every prefix of one fits a prefix
 * of it; and the character before a match is never matched by `notAfter` (a `(?<!...)` look-behind
 * of one character). Fitting more than that is safe: it only holds text longer. A step whose
 * count may vary must not share a character with the steps that can follow it (checked on ASCII;
 * a TypeError names the step).
 */
export interface RuleShape {
  readonly notAfter?: RegExp;
  readonly steps: readonly ShapeStep[];
}

/**
 * Makes a rule match blocks of unbounded length: a match is `head` (at the match start) through the
 * end of the first `end` match after it, or through the end of the text when there is none. A
 * stream that has seen the head emits nothing of the block until its end line (or the end of the
 * stream) and keeps meanwhile only what may begin that line: the last `endLength - 1` characters,
 * or with `endTail` (optional) only those from where it matches, plus 16 characters of context.
 *
 * Contract: `pattern` means the same as `head[\s\S]*?(?:end|$)`; a match of `head` or `end` never
 * depends on text after it (no look-ahead; it ends with a fixed delimiter); `end` matches at most
 * `endLength` characters; `endTail`, anchored at the end like a rule's `tail`, matches every
 * prefix of an end line that reaches the end of the text; `replace` is given the head only (so
 * its result cannot depend on the block's content), in a stream and in a whole text alike.
 */
export interface RuleBlock {
  readonly head: RegExp;
  readonly end: RegExp;
  readonly endLength: number;
  readonly endTail?: RegExp;
}

/**
 * One redaction rule.
 *
 * `pattern` (global) finds what to redact. For streaming to match whole-text redaction exactly,
 * a pattern may look at most 16 characters behind a match and at most one character after it.
 *
 * `tail` is anchored at the end (`$`): from a position where `pattern` could start, it matches
 * every prefix of a match (a complete match included) that reaches the end of the text, so a
 * stream holds back text from the earliest position it matches. Matching more is safe (it only
 * delays text); matching less lets a secret split across tokens slip through. A stream uses the
 * tail only for a rule without a `shape`.
 *
 * `shape` and `block` are optional (added after version 1 of this interface): without them a rule
 * behaves as before, streamed with its `tail` regex, held at most `maxHoldBack` characters.
 */
export interface RedactionRule {
  readonly id: string;
  readonly version: string;
  readonly pattern: RegExp;
  readonly tail: RegExp;
  /** The replacement for one match, or null when it is not a real match (kept as is). */
  readonly replace: (match: string) => string | null;
  /** Optional outline of the matches that makes streaming fast; see {@link RuleShape}. Default: stream with `tail`. */
  readonly shape?: RuleShape;
  /** Optional: the rule matches blocks of any length; see {@link RuleBlock}. Default: an ordinary rule. */
  readonly block?: RuleBlock;
}
