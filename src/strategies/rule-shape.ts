/** Rule shapes compiled for a character-by-character walk: class tables, counts, and the checks that make a greedy walk exact. */
import type { RuleShape } from './redaction-rule';

/** A {@link RuleShape} ready to walk: step classes as an ASCII table (and a regex for other characters), counts as arrays. */
export interface CompiledShape {
  readonly steps: number;
  /** `ascii[step * 128 + code]` is 1 when step `step` holds ASCII character `code`. */
  readonly ascii: Uint8Array;
  /** Per step, a regex for one non-ASCII character. */
  readonly wide: readonly RegExp[];
  readonly min: Int32Array;
  readonly max: Int32Array;
  /** 1 where every later step may be empty, so a fit may end in this step once it has its `min`. */
  readonly last: Uint8Array;
  readonly notAfter: RegExp | undefined;
}

const singleCharacter = (re: RegExp): RegExp => new RegExp(re.source, re.flags.replace(/[dgmsy]/g, ''));

/** True when non-ASCII `code` is in step `step` of `shape`. */
export const wideHas = (shape: CompiledShape, step: number, code: number): boolean => shape.wide[step]!.test(String.fromCharCode(code));

/** True when `code` is in step `step` of `shape`. */
export const stepHas = (shape: CompiledShape, step: number, code: number): boolean =>
  code < 128 ? shape.ascii[step * 128 + code] === 1 : wideHas(shape, step, code);

/** True when a match can begin with `code` (any character, ASCII or not). */
export const canBegin = (shape: CompiledShape, code: number): boolean => {
  for (let step = 0; step < shape.steps; step++) {
    if (stepHas(shape, step, code)) return true;
    if (shape.min[step]! > 0) return false;
  }
  return false;
};

/** True when `code` can be a match's second character (always, when a match can be one character long). */
export const canBeSecond = (shape: CompiledShape, code: number): boolean => {
  const { min, max, last, steps } = shape;
  for (let s = 0; s < steps; s++) {
    // the first character went to step s: one there
    if (min[s]! <= 1 && last[s] === 1) return true;
    if (max[s]! > 1 && stepHas(shape, s, code)) return true;
    if (min[s]! <= 1) {
      for (let t = s + 1; t < steps; t++) {
        if (stepHas(shape, t, code)) return true;
        if (min[t]! > 0) break;
      }
    }
    if (min[s]! > 0) break;
  }
  return false;
};

/** True when a match cannot begin after the character `prev` (-1: nothing before). */
export const barredAfter = (shape: CompiledShape, prev: number): boolean =>
  prev >= 0 && shape.notAfter !== undefined && shape.notAfter.test(String.fromCharCode(prev));

const problem = (id: string, message: string): TypeError => new TypeError(`redaction rule '${id}': shape ${message}`);

const compiledShapes = new WeakMap<RuleShape, CompiledShape>();

/** Checks and compiles `shape` of rule `id` (once per shape object); a TypeError names what is wrong. */
export const compileShape = (id: string, shape: RuleShape): CompiledShape => {
  let compiled = compiledShapes.get(shape);
  if (compiled === undefined) {
    compiled = compileNew(id, shape);
    compiledShapes.set(shape, compiled);
  }
  return compiled;
};

const compileNew = (id: string, shape: RuleShape): CompiledShape => {
  const { steps } = shape;
  if (!Array.isArray(steps) || steps.length === 0) throw problem(id, 'needs at least one step');
  const n = steps.length;
  const ascii = new Uint8Array(n * 128);
  const min = new Int32Array(n);
  const max = new Int32Array(n);
  const wide: RegExp[] = [];
  steps.forEach((step, i) => {
    if (!(step.chars instanceof RegExp)) throw problem(id, `step ${i}: chars must be a RegExp for one character`);
    if (!Number.isInteger(step.min) || !Number.isInteger(step.max) || step.min < 0 || step.max < Math.max(1, step.min)) {
      throw problem(id, `step ${i}: needs integers 0 <= min <= max, max >= 1 (got ${step.min}, ${step.max})`);
    }
    const re = singleCharacter(step.chars);
    for (let code = 0; code < 128; code++) ascii[i * 128 + code] = re.test(String.fromCharCode(code)) ? 1 : 0;
    wide.push(re);
    min[i] = step.min;
    max[i] = step.max;
  });
  if (!steps.some((step) => step.min > 0)) throw problem(id, 'must not fit the empty string (give a step a min)');
  const last = new Uint8Array(n);
  for (let i = n - 1, rest = true; i >= 0; rest = rest && min[i] === 0, i--) last[i] = rest ? 1 : 0;
  // A step whose count varies must not share a character with a step that can follow it: then the greedy walk is exact.
  for (let i = 0; i < n; i++) {
    if (min[i] === max[i]) continue;
    for (let j = i + 1; j < n; j++) {
      for (let code = 0; code < 128; code++) {
        if (ascii[i * 128 + code] === 1 && ascii[j * 128 + code] === 1) {
          throw problem(id, `step ${i} (${steps[i]!.chars}) shares ${JSON.stringify(String.fromCharCode(code))} with step ${j} that can follow it`);
        }
      }
      if (min[j]! > 0) break;
    }
  }
  return { steps: n, ascii, wide, min, max, last, notAfter: shape.notAfter === undefined ? undefined : singleCharacter(shape.notAfter) };
};

/**
 * Whether `text` fits a prefix of the shape from its start (`alive`) and whether some prefix of it
 * fits the whole shape (`fits`): the walk a stream does, for tests of a rule's shape.
 */
export const walkShape = (shape: CompiledShape, text: string): { readonly alive: boolean; readonly fits: boolean } => {
  let step = 0;
  let count = 0;
  let fits = false;
  for (let j = 0; j < text.length; j++) {
    const code = text.charCodeAt(j);
    for (;;) {
      if (count < shape.max[step]! && stepHas(shape, step, code)) {
        count++;
        break;
      }
      if (count < shape.min[step]! || step + 1 === shape.steps) return { alive: false, fits };
      step++;
      count = 0;
    }
    if (count >= shape.min[step]! && shape.last[step] === 1) fits = true;
  }
  return { alive: true, fits };
};
