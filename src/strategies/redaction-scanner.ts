/**
 * The scanner behind redaction, streamed or whole: positions are decided left to right; at each
 * one the first rule (in order) whose pattern matches and whose `replace` accepts wins, and the
 * scan resumes after its match.
 *
 * Incremental: a per-character prefilter (tables of the characters each shaped rule can begin
 * with, and cannot follow) finds the positions where a rule can start; there the rule's shape is
 * walked one character at a time, and the walk is kept across pushes, so a push costs about its
 * new characters. A position is held while some rule (in order, before one that wins) still fits
 * its shape up to the end of the text; its pattern runs only once the walk is over and fitted the
 * whole shape. Rules without a shape go through {@link TailEvents}. A block rule, once its head is
 * seen, swallows everything up to its end line, keeping only enough to find that line.
 */
import { BlockTracker } from './block-tracker';
import { CONTEXT as CONTEXT_CHARS, type CompiledRule, type CompiledRules } from './compiled-rules';
import { DEAD as WALK_DEAD, DONE as WALK_DONE, FIT as WALK_FIT, ShapeWalks } from './shape-walks';
import { FINAL as FINAL_MODE, FORCE as FORCE_MODE, STREAM as STREAM_MODE, TailEvents, type ScanMode, type TextView } from './tail-events';

// Module-local copies: an imported binding can cost a getter call per use on hot paths (tsx, esbuild's CommonJS output).
const CONTEXT = CONTEXT_CHARS;
/** CONTEXT is a power of two: the context is a ring indexed by `position & RING`. */
const RING = CONTEXT - 1;
const STREAM = STREAM_MODE;
const FORCE = FORCE_MODE;
const FINAL = FINAL_MODE;

const SKIP = 0;
const HOLD = 1;
const WIN = 2;
const BLOCK = 3;

const FIT = WALK_FIT;
const DEAD = WALK_DEAD;
const DONE = WALK_DONE;

/** One source's redaction state: the held text and what is known about it. */
export class Scanner implements TextView {
  /** Undecided text from absolute position `heldAt` (= `pos` between pushes), then the text being pushed from `chunkAt`. */
  private held = '';
  private heldAt = 0;
  private chunk = '';
  private chunkAt = 0;
  /** Absolute: everything before it is decided. */
  private pos = 0;
  /** Codes of the `contextLength` (up to CONTEXT) characters before `heldAt`, for look-behinds: position i at `i & RING`. */
  private readonly context = new Uint16Array(CONTEXT);
  private contextLength = 0;
  private readonly contextCodes: number[] = [];
  /** The context, held text and chunk as one string (from `fullAt`), built when a regex needs it. */
  private full: string | undefined;
  private fullAt = 0;
  private winEnd = 0;
  private winText = '';
  private winRule: CompiledRule | undefined;
  private readonly walks: ShapeWalks;
  private readonly tails: TailEvents;
  private readonly block = new BlockTracker();

  constructor(private readonly c: CompiledRules) {
    this.walks = new ShapeWalks(c.shapedCount);
    this.tails = new TailEvents(c.otherCount);
  }

  /** Characters kept in memory: the held text and its context, or inside a block what may begin its end line. */
  get kept(): number {
    return this.block.rule === undefined ? this.held.length + this.contextLength : this.block.kept;
  }

  /** The text as one string, for regexes ({@link TextView}). */
  get buf(): string {
    if (this.full === undefined) {
      this.fullAt = this.heldAt - this.contextLength;
      const codes = this.contextCodes;
      codes.length = this.contextLength;
      for (let i = this.fullAt; i < this.heldAt; i++) codes[i - this.fullAt] = this.context[i & RING]!;
      this.full = String.fromCharCode.apply(null, codes) + this.held + this.chunk;
    }
    return this.full;
  }

  /** Where {@link buf} starts. */
  get origin(): number {
    return this.heldAt - this.contextLength;
  }

  /** Takes the next piece of a stream; returns what is decided. Beyond `maxHoldBack` held characters, decides all as if the text ended (blocks stay open). */
  push(text: string, maxHoldBack: number): string {
    const { block } = this;
    let out = '';
    if (block.rule === undefined) {
      this.chunkAt = this.heldAt + this.held.length;
      this.chunk = text;
      this.full = undefined;
    } else {
      const { window, end } = block.push(text);
      if (end < 0) return '';
      out = block.replacement;
      this.load(window, end);
    }
    out += this.scan(STREAM);
    if (block.rule === undefined) {
      if (this.chunkAt + this.chunk.length - this.pos > maxHoldBack) out += this.scan(FORCE);
      if (block.rule === undefined) this.settle();
    }
    return out;
  }

  /** The stream ended: the rest, redacted (an open block becomes its replacement); then starts over. */
  finish(): string {
    const out = this.block.rule === undefined ? this.scan(FINAL) : this.block.replacement;
    this.load('', 0);
    return out;
  }

  /** A whole text, redacted (the scanner is left holding it; use a fresh one). */
  redact(text: string): string {
    this.load(text, 0);
    return this.scan(FINAL);
  }

  /** Forgets everything: `text` is new, positions count from its start, the part before `from` (kept as context) is decided. */
  load(text: string, from: number): void {
    const start = Math.max(0, from - CONTEXT);
    for (let i = start; i < from; i++) this.context[i & RING] = text.charCodeAt(i);
    this.contextLength = from - start;
    this.held = '';
    this.heldAt = this.chunkAt = this.pos = from;
    this.chunk = from === 0 ? text : text.slice(from);
    this.full = undefined;
    this.walks.reset();
    this.tails.reset();
    this.block.close();
  }

  /** After a push: the undecided text becomes `held` (from `pos`), the characters before it the context. */
  private settle(): void {
    const { pos, chunkAt, heldAt, context, held, chunk } = this;
    let i = Math.max(heldAt, pos - CONTEXT);
    for (const stop = Math.min(pos, chunkAt); i < stop; i++) context[i & RING] = held.charCodeAt(i - heldAt);
    for (; i < pos; i++) context[i & RING] = chunk.charCodeAt(i - chunkAt);
    this.contextLength = Math.min(CONTEXT, this.contextLength + pos - heldAt);
    this.held = pos >= chunkAt ? this.chunk.slice(pos - chunkAt) : this.held.slice(pos - heldAt) + this.chunk;
    this.heldAt = pos;
    this.chunkAt = pos + this.held.length;
    this.chunk = '';
    this.full = undefined;
  }

  /** The character at absolute position i (held text, pushed text, or the context before them). */
  codeAt(i: number): number {
    if (i >= this.chunkAt) return this.chunk.charCodeAt(i - this.chunkAt);
    if (i >= this.heldAt) return this.held.charCodeAt(i - this.heldAt);
    return this.context[i & RING]!;
  }

  /** The text from `from` to `to` (both at or after `heldAt`). */
  private slice(from: number, to: number): string {
    const { chunkAt } = this;
    if (from >= to) return '';
    if (from >= chunkAt) return this.chunk.slice(from - chunkAt, to - chunkAt);
    if (to <= chunkAt) return this.held.slice(from - this.heldAt, to - this.heldAt);
    return this.held.slice(from - this.heldAt) + this.chunk.slice(0, to - chunkAt);
  }

  /** Decides positions from `pos` on; returns their output. */
  private scan(mode: ScanMode): string {
    const { c, chunk, chunkAt, held, heldAt } = this;
    const { startBits, barBits, secondBits } = c;
    const n = chunkAt + chunk.length;
    let out = '';
    let p = this.pos;
    let copied = p;
    let prev = p > heldAt || this.contextLength > 0 ? this.codeAt(p - 1) : -1;
    while (p < n) {
      const stop = c.otherCount === 0 ? n : this.nextTailEvent(p, mode, n);
      let mask = 0;
      for (; p < n; p++) {
        const code = p >= chunkAt ? chunk.charCodeAt(p - chunkAt) : held.charCodeAt(p - heldAt);
        mask = code < 128 ? startBits[code]! : c.wideStart(code);
        if (mask !== 0) {
          if (prev >= 0) mask &= ~(prev < 128 ? barBits[prev]! : c.wideBar(prev));
          if (mask !== 0 && p + 1 < n) {
            const next = p + 1 >= chunkAt ? chunk.charCodeAt(p + 1 - chunkAt) : held.charCodeAt(p + 1 - heldAt);
            mask &= next < 128 ? secondBits[next]! : c.wideSecond(next);
          }
        }
        if (mask !== 0 || p >= stop) break;
        prev = code;
      }
      if (p >= n) break;
      const verdict = this.decide(p, mask, mode, n, p >= stop);
      if (verdict === HOLD) break;
      if (verdict === SKIP) {
        prev = p >= chunkAt ? chunk.charCodeAt(p - chunkAt) : held.charCodeAt(p - heldAt);
        p++;
        continue;
      }
      const r = this.winRule!;
      if (verdict === BLOCK) {
        const end = this.endAfter(r, this.winEnd);
        if (end < 0 && mode !== FINAL) {
          out += this.slice(copied, p);
          this.enterBlock(r, p);
          return out;
        }
        this.winEnd = end < 0 ? n : end;
      }
      out += this.slice(copied, p) + this.winText;
      p = copied = this.winEnd;
      prev = this.codeAt(p - 1);
    }
    this.pos = p;
    return out + this.slice(copied, p);
  }

  private nextTailEvent(p: number, mode: ScanMode, n: number): number {
    let stop = n;
    for (const r of this.c.others) stop = Math.min(stop, this.tails.next(r, p, mode, n, this));
    return stop;
  }

  /** The first rule in order that holds or wins at p (`mask`: the shaped rules that can begin there; `tailsHere`: a rule without a shape has an event there). */
  private decide(p: number, mask: number, mode: ScanMode, n: number, tailsHere: boolean): number {
    const { c } = this;
    if (!tailsHere) {
      // only shaped rules, whose bits follow the rules' order: visit the set bits, lowest first
      for (let bits = mask; bits !== 0; bits &= bits - 1) {
        const verdict = this.shapedVerdict(c.shaped[31 - Math.clz32(bits & -bits)]!, p, mode, n);
        if (verdict !== SKIP) return verdict;
      }
      return SKIP;
    }
    for (const r of c.rules) {
      const verdict = r.shape === undefined ? this.tailVerdict(r, p, mode, n) : (mask & r.bit) === 0 ? SKIP : this.shapedVerdict(r, p, mode, n);
      if (verdict !== SKIP) return verdict;
    }
    return SKIP;
  }

  private shapedVerdict(r: CompiledRule, p: number, mode: ScanMode, n: number): number {
    const { walks } = this;
    const k = r.slot;
    let flags = walks.from(k, p);
    if ((flags & DONE) !== 0) return SKIP;
    if ((flags & DEAD) === 0 && walks.to[k]! < n) flags = walks.walk(r.shape!, k, n, this.held, this.heldAt, this.chunk, this.chunkAt);
    const live = (flags & DEAD) === 0 && mode === STREAM;
    if ((flags & FIT) !== 0 && (r.block !== undefined || !live) && this.tryMatch(r, p)) return r.block === undefined ? WIN : BLOCK;
    if (live) return HOLD;
    walks.flags[k] = flags | DONE;
    return SKIP;
  }

  private tailVerdict(r: CompiledRule, p: number, mode: ScanMode, n: number): number {
    if (this.tails.next(r, p, mode, n, this) !== p) return SKIP;
    if (this.tails.holds(r)) return r.block !== undefined && this.tryMatch(r, p) ? BLOCK : HOLD;
    const [match, end] = this.tails.matched(r);
    const text = r.rule.replace(match);
    if (text === null) {
      this.tails.consume(r);
      return SKIP;
    }
    this.win(r, end, text);
    return r.block === undefined ? WIN : BLOCK;
  }

  /** Runs r's pattern (a block rule's head) at p; on a match that `replace` accepts, records the win. */
  private tryMatch(r: CompiledRule, p: number): boolean {
    const full = this.buf;
    r.sticky.lastIndex = p - this.fullAt;
    const m = r.sticky.exec(full);
    if (m === null || m[0] === '') return false;
    const text = r.rule.replace(m[0]);
    if (text === null) return false;
    this.win(r, p + m[0].length, text);
    return true;
  }

  private win(r: CompiledRule, end: number, text: string): void {
    this.winRule = r;
    this.winEnd = end;
    this.winText = text;
  }

  /** The absolute end of block rule r's first end line at or after `from`, or -1. */
  private endAfter(r: CompiledRule, from: number): number {
    const { end } = r.block!;
    const text = this.buf;
    end.lastIndex = from - this.fullAt;
    const m = end.exec(text);
    return m === null ? -1 : m.index + m[0].length + this.fullAt;
  }

  /** A block began at p (its head ends at winEnd) and its end line is not in sight: keep only what may begin it. */
  private enterBlock(r: CompiledRule, p: number): void {
    const text = this.buf;
    const from = Math.max(p - CONTEXT, this.fullAt);
    this.block.open(r, this.winText, text.slice(from - this.fullAt), this.winEnd - from);
    this.held = this.chunk = '';
    this.full = undefined;
  }
}
