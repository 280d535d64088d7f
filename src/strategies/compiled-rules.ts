/** Redaction rules compiled once per rule list: sticky and search regexes, shapes, and the start-character tables of the prefilter. */
import type { RedactionRule } from './redaction-rule';
import { barredAfter, canBeSecond, canBegin, compileShape, type CompiledShape } from './rule-shape';

/** Characters of text before a position kept for the rules' look-behinds. */
export const CONTEXT = 16;

/** Most rules followed by shape (one bit each in the prefilter's masks); later ones are streamed with their tails. */
const MAX_SHAPED = 30;

/** One rule, compiled. */
export interface CompiledRule {
  readonly rule: RedactionRule;
  /** `pattern` (for a block rule: `block.head`), sticky: what matches at a known position. */
  readonly sticky: RegExp;
  /** Shaped rules: the shape and the rule's bit in the prefilter masks; otherwise undefined and 0. */
  readonly shape: CompiledShape | undefined;
  readonly bit: number;
  /** Index among the shaped rules, or among the others. */
  readonly slot: number;
  /** Block rules: the end line (global), its longest form, and where a prefix of it reaches the end of the text (zero-width, global). */
  readonly block: { readonly end: RegExp; readonly endLength: number; readonly endTail: RegExp | undefined } | undefined;
  /**
   * Rules without a shape: zero-width search for the next position where `tail` reaches the end,
   * `pattern` (or head) global, `tail` sticky; and, when pattern and tail share their flags and the
   * tail has no back-reference, one search for either (`pattern` first, then the tail as a look-ahead).
   */
  readonly alive: RegExp | undefined;
  readonly finder: RegExp | undefined;
  readonly tail: RegExp | undefined;
  readonly either: RegExp | undefined;
  /**
   * Rules without a shape: 1 for each ASCII character a match (or a prefix the tail holds) can
   * begin with: those the tail matches on their own (it must hold every prefix of a match, the
   * first character too). All of them when the tail has a positive look-behind (it cannot be tested
   * without what precedes) or matches no single character; non-ASCII characters always count.
   */
  readonly firstChars: Uint8Array | undefined;
}

/** A rule list, compiled. */
export interface CompiledRules {
  readonly rules: readonly CompiledRule[];
  /** The shaped rules, by slot (in the rules' order), and the others. */
  readonly shaped: readonly CompiledRule[];
  readonly others: readonly CompiledRule[];
  readonly shapedCount: number;
  readonly otherCount: number;
  /** Bits of the shaped rules a match of which can begin at ASCII `code` / cannot begin after ASCII `code`. */
  readonly startBits: Int32Array;
  readonly barBits: Int32Array;
  /** Bits of the shaped rules a match of which can have ASCII `code` as its second character. */
  readonly secondBits: Int32Array;
  /** The same for a non-ASCII character (computed, then cached). */
  readonly wideStart: (code: number) => number;
  readonly wideBar: (code: number) => number;
  readonly wideSecond: (code: number) => number;
}

const flagsOf = (re: RegExp, add: string): string => re.flags.replace(/[dgy]/g, '') + add;

const checkRule = (rule: RedactionRule, index: number): void => {
  const bad = (what: string): TypeError => new TypeError(`redaction rule ${index} (${String(rule?.id)}): ${what}`);
  if (typeof rule !== 'object' || rule === null) throw bad('must be an object');
  if (!(rule.pattern instanceof RegExp) || !(rule.tail instanceof RegExp)) throw bad('pattern and tail must be RegExps');
  if (typeof rule.replace !== 'function') throw bad('replace must be a function');
  const { block } = rule;
  if (block !== undefined && (!(block.head instanceof RegExp) || !(block.end instanceof RegExp) || !Number.isInteger(block.endLength) || block.endLength < 1
    || !(block.endTail === undefined || block.endTail instanceof RegExp))) {
    throw bad('block needs head and end RegExps, an integer endLength >= 1 and, optionally, an endTail RegExp');
  }
};

const firstCharacters = (tail: RegExp): Uint8Array => {
  const table = new Uint8Array(128);
  const alone = new RegExp(`^(?:${tail.source})$`, flagsOf(tail, ''));
  const unknown = tail.source.includes('(?<=');
  for (let code = 0; code < 128; code++) table[code] = unknown || alone.test(String.fromCharCode(code)) ? 1 : 0;
  return table.includes(1) ? table : table.fill(1);
};

const compileRule = (rule: RedactionRule, slot: number, shaped: boolean): CompiledRule => {
  const head = rule.block?.head ?? rule.pattern;
  const shape = shaped && rule.shape !== undefined ? compileShape(rule.id, rule.shape) : undefined;
  return {
    rule,
    sticky: new RegExp(head.source, flagsOf(head, 'y')),
    shape,
    bit: shape === undefined ? 0 : 1 << slot,
    slot,
    block: rule.block === undefined ? undefined : {
      end: new RegExp(rule.block.end.source, flagsOf(rule.block.end, 'g')),
      endLength: rule.block.endLength,
      endTail: rule.block.endTail === undefined ? undefined : new RegExp(`(?=(?:${rule.block.endTail.source})$)`, flagsOf(rule.block.endTail, 'g')),
    },
    alive: shape !== undefined ? undefined : new RegExp(`(?=(?:${rule.tail.source})$)`, flagsOf(rule.tail, 'g')),
    finder: shape !== undefined ? undefined : new RegExp(head.source, flagsOf(head, 'g')),
    tail: shape !== undefined ? undefined : new RegExp(`(?:${rule.tail.source})$`, flagsOf(rule.tail, 'y')),
    firstChars: shape !== undefined ? undefined : firstCharacters(rule.tail),
    either: shape !== undefined || flagsOf(head, '') !== flagsOf(rule.tail, '') || /\\[1-9k]/.test(rule.tail.source) ? undefined
      : new RegExp(`(?:${head.source})|(?=(?:${rule.tail.source})$)`, flagsOf(head, 'g')),
  };
};

const bitsOf = (rules: readonly CompiledRule[], test: (shape: CompiledShape) => boolean): number => {
  let bits = 0;
  for (const r of rules) if (r.shape !== undefined && test(r.shape)) bits |= r.bit;
  return bits;
};

/** Memoises a bits function of a non-ASCII character (at most 4096 of them). */
const cached = (compute: (code: number) => number): ((code: number) => number) => {
  const seen = new Map<number, number>();
  return (code) => {
    let bits = seen.get(code);
    if (bits === undefined) {
      bits = compute(code);
      if (seen.size < 4096) seen.set(code, bits);
    }
    return bits;
  };
};

const compiledCache = new WeakMap<readonly RedactionRule[], CompiledRules>();

/** Compiles `rules` (once per array); a TypeError names a malformed rule or shape. */
export const compileRules = (rules: readonly RedactionRule[]): CompiledRules => {
  let compiled = compiledCache.get(rules);
  if (compiled !== undefined) return compiled;
  rules.forEach(checkRule);
  let shapedCount = 0;
  let otherCount = 0;
  const list = rules.map((rule) => {
    const shaped = rule.shape !== undefined && shapedCount < MAX_SHAPED;
    return compileRule(rule, shaped ? shapedCount++ : otherCount++, shaped);
  });
  const startBits = new Int32Array(128);
  const barBits = new Int32Array(128);
  const secondBits = new Int32Array(128);
  for (let code = 0; code < 128; code++) {
    startBits[code] = bitsOf(list, (shape) => canBegin(shape, code));
    barBits[code] = bitsOf(list, (shape) => barredAfter(shape, code));
    secondBits[code] = bitsOf(list, (shape) => canBeSecond(shape, code));
  }
  compiled = {
    rules: list, shaped: list.filter((r) => r.shape !== undefined), others: list.filter((r) => r.shape === undefined), shapedCount, otherCount, startBits, barBits, secondBits,
    wideStart: cached((code) => bitsOf(list, (shape) => canBegin(shape, code))),
    wideBar: cached((code) => bitsOf(list, (shape) => barredAfter(shape, code))),
    wideSecond: cached((code) => bitsOf(list, (shape) => canBeSecond(shape, code))),
  };
  compiledCache.set(rules, compiled);
  return compiled;
};
