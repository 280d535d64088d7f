/**
 * Rules without a shape, streamed with their `tail` regex: per rule, the next position where
 * something happens (its tail reaches the end of the text: hold; or its pattern matches with
 * the tail dead there: final), found by regex searches that never go back over text found empty.
 */
import type { CompiledRule } from './compiled-rules';

/** How a scan treats the end of the text: a stream goes on (STREAM), or is cut there (FORCE: held too long; FINAL: it ended). */
export type ScanMode = 0 | 1 | 2;
/** A stream goes on: text that could still grow into a match is held. */
export const STREAM: ScanMode = 0;
/** The held text outgrew `maxHoldBack`: decide it as if the text ended (blocks stay open). */
export const FORCE: ScanMode = 1;
/** The text ended. */
export const FINAL: ScanMode = 2;
const STREAMING: ScanMode = 0;

/** The text a scanner holds: `buf` starts at absolute position `origin`; `codeAt` reads a character without building `buf`. */
export interface TextView { readonly buf: string; readonly origin: number; codeAt(position: number): number }

const NONE = 0;
const ALIVE = 1;
const MATCH = 2;

/** Below this many held characters an alive tail is rechecked on every push; beyond, when the text grew by a quarter. */
const RECHECK_ALWAYS = 256;

/** Per-stream state of the rules without a shape (slots as compiled). */
export class TailEvents {
  /** No event at a position before this one. */
  private readonly deadTo: Float64Array;
  private readonly kind: Uint8Array;
  private readonly at: Float64Array;
  /** ALIVE: text end when the tail last reached it; MATCH: the match's end. */
  private readonly mark: Float64Array;
  private readonly match: string[];

  constructor(count: number) {
    this.deadTo = new Float64Array(count);
    this.kind = new Uint8Array(count);
    this.at = new Float64Array(count);
    this.mark = new Float64Array(count);
    this.match = new Array<string>(count).fill('');
  }

  /** Forgets every position (a new text, or positions renumbered). */
  reset(): void {
    this.deadTo.fill(0);
    this.kind.fill(NONE);
  }

  /** The first position >= from (before the text end n) where rule `r` holds or matches; Infinity if none. */
  next(r: CompiledRule, from: number, mode: ScanMode, n: number, view: TextView): number {
    const k = r.slot;
    if (this.kind[k] !== NONE && this.at[k]! >= from) {
      if (this.kind[k] === MATCH) return this.at[k]!;
      const q = this.at[k]!;
      if (mode === STREAMING) {
        const checked = this.mark[k]!;
        if (n === checked || (n - q > RECHECK_ALWAYS && (n - checked) * 4 < checked - q)) return q;
        r.tail!.lastIndex = q - view.origin;
        if (r.tail!.test(view.buf)) {
          this.mark[k] = n;
          return q;
        }
      }
      return this.settle(r, q, mode, n, view);
    }
    return this.search(r, Math.max(from, this.deadTo[k]!), mode, n, view);
  }

  /** Whether the event at p (from {@link next}) holds the text; else the match there, for the caller to replace. */
  holds(r: CompiledRule): boolean {
    return this.kind[r.slot] === ALIVE;
  }

  /** The text and end of the match found at the rule's event. */
  matched(r: CompiledRule): readonly [string, number] {
    return [this.match[r.slot]!, this.mark[r.slot]!];
  }

  /** The match at the event was rejected: look from the next position on. */
  consume(r: CompiledRule): void {
    const k = r.slot;
    this.deadTo[k] = this.at[k]! + 1;
    this.kind[k] = NONE;
  }

  /** The tail no longer (or need not) reach the end at q: the pattern there decides. */
  private settle(r: CompiledRule, q: number, mode: ScanMode, n: number, view: TextView): number {
    r.sticky.lastIndex = q - view.origin;
    const m = r.sticky.exec(view.buf);
    if (m !== null && m[0] !== '') return this.found(r.slot, MATCH, q, q + m[0].length, m[0]);
    return this.search(r, q + 1, mode, n, view);
  }

  private search(r: CompiledRule, from: number, mode: ScanMode, n: number, view: TextView): number {
    const k = r.slot;
    // a stream: no regex where no character can begin a match (a whole text does not depend on the tail)
    const first = r.firstChars!;
    let s = from;
    for (; s < n && mode === STREAMING; s++) {
      const code = view.codeAt(s);
      if (code >= 128 || first[code] === 1) break;
    }
    if (s >= n) {
      this.kind[k] = NONE;
      this.deadTo[k] = Math.max(from, n);
      return Infinity;
    }
    if (mode === STREAMING && r.either !== undefined) return this.searchEither(r, s, n, view);
    let alive = n;
    if (mode === STREAMING && s < n) {
      r.alive!.lastIndex = s - view.origin;
      if (r.alive!.test(view.buf)) alive = r.alive!.lastIndex + view.origin;
    }
    const finder = r.finder!;
    finder.lastIndex = s - view.origin;
    while (s < n) {
      const m = finder.exec(view.buf);
      if (m === null || m.index + view.origin >= alive) break;
      if (m[0] === '') {
        finder.lastIndex = m.index + 1;
        continue;
      }
      const q = m.index + view.origin;
      return this.found(k, MATCH, q, q + m[0].length, m[0]);
    }
    if (alive < n) return this.found(k, ALIVE, alive, n, '');
    this.kind[k] = NONE;
    this.deadTo[k] = Math.max(s, n);
    return Infinity;
  }

  /** The same search as one regex: the leftmost position where the pattern matches or the tail reaches the end. */
  private searchEither(r: CompiledRule, s: number, n: number, view: TextView): number {
    const { either, tail } = r;
    const { buf, origin } = view;
    either!.lastIndex = s - origin;
    while (s < n) {
      const m = either!.exec(buf);
      if (m === null) break;
      tail!.lastIndex = m.index;
      if (tail!.test(buf)) return this.found(r.slot, ALIVE, m.index + origin, n, '');
      if (m[0] !== '') return this.found(r.slot, MATCH, m.index + origin, m.index + origin + m[0].length, m[0]);
      either!.lastIndex = m.index + 1;
    }
    this.kind[r.slot] = NONE;
    this.deadTo[r.slot] = Math.max(s, n);
    return Infinity;
  }

  private found(k: number, kind: number, at: number, mark: number, match: string): number {
    this.kind[k] = kind;
    this.at[k] = at;
    this.deadTo[k] = at;
    this.mark[k] = mark;
    this.match[k] = match;
    return at;
  }
}
