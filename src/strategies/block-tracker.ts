/**
 * Inside a block (a private key, say): nothing is emitted and nothing of the block is kept but
 * what may begin its end line (and a little context for what follows it); each push searches
 * that and the new text for the end line, so memory stays bounded however long the block is,
 * and a push costs about its new characters.
 */
import { CONTEXT, type CompiledRule } from './compiled-rules';

/** The open block of one stream, if any. */
export class BlockTracker {
  /** The block rule and the replacement of the open block; undefined when no block is open. */
  rule: CompiledRule | undefined;
  replacement = '';
  /** What may begin the end line, from `carryMin` on; before it, up to CONTEXT characters of context. */
  private carry = '';
  private carryMin = 0;
  private context = '';

  /** Characters kept. */
  get kept(): number {
    return this.context.length + this.carry.length;
  }

  /** Opens a block of rule `r`: `seen` is the text so far from some point before the block (CONTEXT characters or the stream's start); its end line may start at offset `endFrom`. */
  open(r: CompiledRule, replacement: string, seen: string, endFrom: number): void {
    this.rule = r;
    this.replacement = replacement;
    this.context = '';
    this.carryMin = endFrom;
    this.keepTail(seen);
  }

  /** Closes the block (or forgets one). */
  close(): void {
    this.rule = undefined;
    this.replacement = '';
    this.carry = this.context = '';
  }

  /**
   * Takes the next text; when the end line is in it, returns the text from some point before the
   * line (`window`, at least CONTEXT characters before its end when the stream has them) and the
   * offset where the line ends; otherwise `end` is -1.
   */
  push(text: string): { readonly window: string; readonly end: number } {
    const window = this.carry + text;
    const { end } = this.rule!.block!;
    end.lastIndex = this.carryMin;
    const m = end.exec(window);
    if (m !== null) return { window: this.context + window, end: this.context.length + m.index + m[0].length };
    this.keepTail(window);
    return { window: '', end: -1 };
  }

  /** Keeps of `window` what may begin an end line, and the CONTEXT characters before that. */
  private keepTail(window: string): void {
    const { endLength, endTail } = this.rule!.block!;
    let cut = Math.max(0, window.length - (endLength - 1), Math.min(this.carryMin, window.length));
    if (endTail !== undefined) {
      endTail.lastIndex = cut;
      cut = endTail.test(window) ? endTail.lastIndex : window.length;
    }
    if (cut === 0) {
      this.carry = window;
      return;
    }
    this.context = cut >= CONTEXT ? window.slice(cut - CONTEXT, cut) : (this.context + window.slice(0, cut)).slice(-CONTEXT);
    this.carry = window.slice(cut);
    this.carryMin = Math.max(0, this.carryMin - cut);
  }
}
