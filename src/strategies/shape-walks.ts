/**
 * Walks of rule shapes over a stream's text, one per shaped rule, each from the position the
 * scanner is deciding; a walk resumes where it stopped when more text arrives, so every character
 * is walked once per rule that can start before it.
 */
import { wideHas, type CompiledShape } from './rule-shape';

/** Walk flag: some prefix of the walked text fitted the whole shape. */
export const FIT = 1;
/** Walk flag: the walk failed, the text no longer fits the shape. */
export const DEAD = 2;
/** Walk flag: the position is decided for this rule (no match there). */
export const DONE = 4;

/** The walks of one stream, by rule slot: slot k walks from `at[k]`, reached `to[k]`, in `step[k]` with `count[k]` characters. */
export class ShapeWalks {
  readonly at: Float64Array;
  readonly to: Float64Array;
  private readonly step: Int32Array;
  private readonly count: Int32Array;
  readonly flags: Uint8Array;

  constructor(slots: number) {
    this.at = new Float64Array(slots).fill(-1);
    this.to = new Float64Array(slots);
    this.step = new Int32Array(slots);
    this.count = new Int32Array(slots);
    this.flags = new Uint8Array(slots);
  }

  /** Forgets every walk (positions renumbered). */
  reset(): void {
    this.at.fill(-1);
  }

  /** The flags of slot k's walk from p (a fresh walk if it was walking from elsewhere). */
  from(k: number, p: number): number {
    if (this.at[k] !== p) {
      this.at[k] = p;
      this.to[k] = p;
      this.step[k] = 0;
      this.count[k] = 0;
      this.flags[k] = 0;
    }
    return this.flags[k]!;
  }

  /**
   * Walks slot k's `shape` on to absolute position n, over `held` (from `heldAt`) then `chunk`
   * (from `chunkAt`), a run of one step at a time; returns the walk's flags.
   */
  walk(shape: CompiledShape, k: number, n: number, held: string, heldAt: number, chunk: string, chunkAt: number): number {
    const { ascii, min, max, last, steps } = shape;
    let j = this.to[k]!;
    let step = this.step[k]!;
    let count = this.count[k]!;
    let flags = this.flags[k]!;
    while (j < n) {
      const base = step << 7;
      const most = max[step]!;
      for (; j < n && count < most; j++, count++) {
        const code = j >= chunkAt ? chunk.charCodeAt(j - chunkAt) : held.charCodeAt(j - heldAt);
        if (code < 128 ? ascii[base + code] !== 1 : !wideHas(shape, step, code)) break;
      }
      if (count >= min[step]! && last[step] === 1) flags |= FIT;
      if (j >= n) break;
      // the character at j does not extend this step: on to the next, if this one is complete
      if (count < min[step]! || step + 1 === steps) {
        flags |= DEAD;
        break;
      }
      step++;
      count = 0;
    }
    this.to[k] = j;
    this.step[k] = step;
    this.count[k] = count;
    this.flags[k] = flags;
    return flags;
  }
}
