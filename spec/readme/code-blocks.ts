/** The fenced code blocks of a markdown text, for the README's specs. */

/** One fenced code block of a markdown text. */
export interface CodeBlock { readonly lang: string; readonly code: string; readonly line: number; readonly tested?: string }

/** The fenced code blocks of `markdown`, with the `<!-- tested: ... -->` marker right before each, if any. */
export const codeBlocks = (markdown: string): CodeBlock[] => {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code block`);
    const marker = /^<!-- tested: (\S+) -->$/.exec(lines[i - 1] ?? '');
    blocks.push({ lang: open[1]!, code: lines.slice(i + 1, end).join('\n'), line: i + 1, ...(marker === null ? {} : { tested: marker[1] }) });
    i = end;
  }
  return blocks;
};
