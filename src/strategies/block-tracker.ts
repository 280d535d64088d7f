/**
 * Inside a block (a private key, say): nothing is emitted and nothing of the block is kept but
 * its last characters, where its end line may begin; each push searches them and the new text
 * for that line, so memory stays bounded however long the block is.
 */
import type { CompiledRule } from './compiled-rules';

/** The open block of one stream, if any. */
export class BlockTracker {
  /** The block rule and the replacement of the open block; undefined when no block is open. */
  rule: CompiledRule | undefined;
  replacement = '';
  /** The last characters seen, and the first offset in them where the end line may start. */
  private carry = '';
  private carryMin = 0;

  /** Characters kept. */
  get kept(): number {
    return this.carry.length;
  }

  /** Opens a block of rule `r`: `tail` is the text seen so far from some point in or before the block, whose head ends at offset `headEnd` of it. */
  open(r: CompiledRule, replacement: string, tail: string, headEnd: number): void {
    this.rule = r;
    this.replacement = replacement;
    this.carry = tail;
    this.carryMin = Math.max(0, headEnd);
  }

  /** Closes the block (or forgets one). */
  close(): void {
    this.rule = undefined;
    this.replacement = '';
    this.carry = '';
  }

  /**
   * Takes the next text; returns the text seen since the kept characters (`window`: the kept
   * characters then `text`) and the end of the end line in it, or -1 (then only the window's last
   * characters are kept).
   */
  push(text: string): { readonly window: string; readonly end: number } {
    const { end, keep } = this.rule!.block!;
    const window = this.carry + text;
    end.lastIndex = this.carryMin;
    const m = end.exec(window);
    if (m !== null) return { window, end: m.index + m[0].length };
    const cut = window.length - keep;
    this.carry = cut > 0 ? window.slice(cut) : window;
    this.carryMin = Math.max(0, this.carryMin - Math.max(0, cut));
    return { window, end: -1 };
  }
}
