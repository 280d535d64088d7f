/// <reference lib="dom" />
/**
 * The fused answer panel: the answer's text laid out as `answerBlocks` (Markdown headings as
 * `<h3>`-`<h6>` under the page's "Fused answer" `<h2>`, the rest as pre-wrapped paragraphs), all
 * set with `textContent` and text nodes, never as HTML. Each change re-lays the whole text and
 * touches only the blocks that differ, so a streamed token changes one text node.
 */
import { answerBlocks, type AnswerBlock } from './answer-blocks';
import { html } from './dom';

/** The answer shown in one element. */
export interface AnswerView {
  /** Appends a streamed piece. */
  append(text: string): void;
  /** Replaces the whole answer; `final` when no more will come. */
  set(text: string, final: boolean): void;
}

/** The element for a block: `h3` for a level-1 heading, down to `h6`; a `p` for text. */
const tagOf = (block: AnswerBlock): 'h3' | 'h4' | 'h5' | 'h6' | 'p' =>
  (block.kind === 'text' ? 'p' : (['h3', 'h4', 'h5', 'h6'] as const)[Math.min(block.level, 4) - 1]);

const elementFor = (block: AnswerBlock): HTMLElement => {
  const element = html(tagOf(block), { class: block.kind === 'text' ? 'answer-text' : 'answer-heading' });
  element.append(document.createTextNode(''));
  return element;
};

/** Creates the view inside `container` (emptied). */
export const createAnswerView = (container: HTMLElement): AnswerView => {
  let current = '';
  let final = false;
  const render = (): void => {
    const blocks = answerBlocks(current, final);
    blocks.forEach((block, i) => {
      let element = container.children.item(i) as HTMLElement | null;
      if (element === null || element.tagName.toLowerCase() !== tagOf(block)) {
        const fresh = elementFor(block);
        if (element === null) container.append(fresh);
        else element.replaceWith(fresh);
        element = fresh;
      }
      const node = element.firstChild as Text;
      if (node.data !== block.text) node.data = block.text;
    });
    while (container.children.length > blocks.length) container.lastElementChild?.remove();
  };
  container.replaceChildren();
  return {
    append: (text) => {
      current += text;
      render();
    },
    set: (text, isFinal) => {
      current = text;
      final = isFinal;
      render();
    },
  };
};
