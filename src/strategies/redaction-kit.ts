/** Helpers to write redaction rules: regex atoms, tails, shapes, and the rule constructor. */
import type { RedactionRule, RuleBlock, RuleShape, ShapeStep } from './redaction-rule';

const escapeChar = (ch: string): string => (/[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch);

/** Regex atoms for the characters of `text`, letters as `[Aa]` when `ignoreCase`. */
export const literalAtoms = (text: string, ignoreCase = false): string[] =>
  [...text].map((ch) => (ignoreCase && ch.toLowerCase() !== ch.toUpperCase() ? `[${ch.toUpperCase()}${ch.toLowerCase()}]` : escapeChar(ch)));

/** `text` as a regex source, letters in any case. */
export const ci = (text: string): string => literalAtoms(text, true).join('');

/**
 * Regex source for a tail: any non-empty prefix of `atoms` in sequence, or all of them followed
 * by `rest` (optional there, so `rest` need only accept the non-empty prefixes of what follows).
 */
export const prefixChain = (atoms: readonly string[], rest = ''): string => {
  let inner = rest;
  for (let i = atoms.length - 1; i >= 0; i--) inner = inner === '' ? atoms[i]! : `${atoms[i]}(?:${inner})?`;
  return `(?:${inner})`;
};

/** A shape step: `min` to `max` characters of the one-character class `chars`. */
export const run = (chars: RegExp, min: number, max: number): ShapeStep => ({ chars, min, max });

/** Shape steps for the characters of `text`, one each, letters in any case when `ignoreCase`. */
export const literalSteps = (text: string, ignoreCase = false): ShapeStep[] =>
  literalAtoms(text, ignoreCase).map((atom) => run(new RegExp(atom), 1, 1));

/** What a rule is made of; `tail` without its final `$` (added here). */
export interface RuleParts {
  readonly pattern: string;
  readonly tail: string;
  readonly replace: (match: string) => string | null;
  readonly shape?: RuleShape;
  readonly block?: RuleBlock;
}

/** A frozen rule (version '1') from regex sources: `pattern` global, `tail` anchored at the end. */
export const rule = (id: string, parts: RuleParts): RedactionRule =>
  Object.freeze({
    id, version: '1', pattern: new RegExp(parts.pattern, 'g'), tail: new RegExp(`${parts.tail}$`), replace: parts.replace,
    ...(parts.shape === undefined ? {} : { shape: Object.freeze(parts.shape) }),
    ...(parts.block === undefined ? {} : { block: Object.freeze(parts.block) }),
  });

/** The name, separator and opening quote of an assignment match (`api_key = "`): kept by the replacement. */
const ASSIGNMENT_HEAD = /^[^:=]*[:=][ \t]*["']?/;

/** A replacement that keeps an assignment's name and operator and replaces its value by `marker`. */
export const keepName = (marker: string) => (match: string): string => `${ASSIGNMENT_HEAD.exec(match)?.[0] ?? ''}${marker}`;

/** Shape steps for `["']? [ \t]{0,3} [:=] [ \t]{0,3} ["']?`: the operator of an assignment. */
export const ASSIGNMENT_STEPS: readonly ShapeStep[] = [
  run(/["']/, 0, 1), run(/[ \t]/, 0, 3), run(/[:=]/, 1, 1), run(/[ \t]/, 0, 3), run(/["']/, 0, 1),
];

/** Regex source of the same operator. */
export const ASSIGNMENT_OPERATOR = `["']?[ \\t]{0,3}[:=][ \\t]{0,3}["']?`;

/** Tail source for the operator followed by a value of class `value` (every prefix of it). */
export const assignmentTail = (value: string, max: number): string => `["']?[ \\t]{0,3}(?:[:=][ \\t]{0,3}["']?${value}{0,${max}})?`;
