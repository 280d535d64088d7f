/**
 * The fused answer as blocks, no DOM: Markdown ATX heading lines (`## alpha`, `### Summary`, as the
 * `sections` fusion writes them) become headings, every run of other lines one text block. Only
 * headings are recognised; everything else stays the characters it is (the view sets it as text).
 *
 *     "### alpha\n\nSky.\n\n### beta\n\nAir."  ->  heading(3, alpha) text(Sky.) heading(3, beta) text(Air.)
 *
 * While the answer still streams (`final` false), a last line that is only `#`s may yet become a
 * heading, so it is held back instead of flashing by as text.
 */

/** One block of the answer. `level` is the Markdown level, 1 to 6. */
export type AnswerBlock =
  | { readonly kind: 'heading'; readonly level: number; readonly text: string }
  | { readonly kind: 'text'; readonly text: string };

const HEADING = /^(#{1,6})[ \t]+(.*?)[ \t]*$/;
const MAYBE_HEADING = /^#{1,6}[ \t]*$/;

/** Lines of only line breaks at either end of a text block are layout, not content. */
const trimBreaks = (text: string): string => text.replace(/^\n+|\n+$/g, '');

/** The blocks of `text`; `final` says whether more text may still come. */
export const answerBlocks = (text: string, final: boolean): AnswerBlock[] => {
  const lines = text.split('\n');
  if (!final && MAYBE_HEADING.test(lines[lines.length - 1])) lines.pop();
  const blocks: AnswerBlock[] = [];
  let run: string[] = [];
  const flush = (): void => {
    const block = trimBreaks(run.join('\n'));
    if (block !== '') blocks.push({ kind: 'text', text: block });
    run = [];
  };
  for (const line of lines) {
    const heading = HEADING.exec(line);
    if (heading === null || heading[2] === '') {
      run.push(line);
      continue;
    }
    flush();
    blocks.push({ kind: 'heading', level: heading[1].length, text: heading[2] });
  }
  flush();
  return blocks;
};
