/**
 * Keeps the README honest: every TypeScript block in it compiles against the library (as a
 * user's file importing 'dialogue-pipeline'), and every block marked
 * `<!-- tested: spec/readme/<file> -->` contains, verbatim, the `#region example` of that spec
 * file, which runs it.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';
import { codeBlocks } from './code-blocks';

const ROOT = resolve(__dirname, '../..');

/** The `#region example` of a spec file, as a user would write it (importing 'dialogue-pipeline'). */
export const exampleRegion = (specFile: string): string => {
  const text = readFileSync(join(ROOT, specFile), 'utf8');
  const match = /\/\/ #region example\n([\s\S]*?)\/\/ #endregion example\n/.exec(text);
  if (match === null) throw new Error(`${specFile}: no // #region example ... // #endregion example`);
  return match[1]!.replace(/'\.\.\/\.\.\/src\/index'/g, "'dialogue-pipeline'").replace(/'\.\.\/\.\.\/src\/browser(?:\/index)?'/g, "'dialogue-pipeline/browser'").trimEnd();
};

/** Type errors of `files` (name -> source) compiled as user modules with 'dialogue-pipeline' mapped to src/. */
export const typeErrors = (files: ReadonlyMap<string, string>): string[] => {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ['node', 'jest'], baseUrl: ROOT,
    paths: {
      'dialogue-pipeline': ['src/index.ts'], 'dialogue-pipeline/browser': ['src/browser/index.ts'],
      // Third-party APIs the examples show, as small stubs (spec/readme/stubs).
      '@sentry/node': ['spec/readme/stubs/sentry-node.d.ts'], '@ai-sdk/react': ['spec/readme/stubs/ai-sdk-react.d.ts'],
    },
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => {
    const virtual = files.get(name);
    return virtual === undefined ? getSourceFile(name, version, ...rest) : ts.createSourceFile(name, virtual, version, true);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  const program = ts.createProgram([...files.keys()], options, host);
  return ts.getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file !== undefined && files.has(diagnostic.file.fileName))
    .map((diagnostic) => {
      const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      return `${diagnostic.file!.fileName}:${line + 1}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    });
};

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = codeBlocks(README);
const tsBlocks = blocks.filter((block) => block.lang === 'ts');

describe('README.md', () => {
  it('finds its code blocks and their markers', () => {
    expect(codeBlocks('text\n<!-- tested: spec/x.ts -->\n```ts\nconst a = 1;\n```\n```sh\nls\n```\n')).toEqual([
      { lang: 'ts', code: 'const a = 1;', line: 3, tested: 'spec/x.ts' },
      { lang: 'sh', code: 'ls', line: 6 },
    ]);
    expect(tsBlocks.length).toBeGreaterThanOrEqual(4);
  });

  it('prints, in every block marked tested, exactly the example its spec file runs', () => {
    const tested = tsBlocks.filter((block) => block.tested !== undefined);
    expect(tested.length).toBeGreaterThanOrEqual(3);
    for (const block of tested) {
      const region = exampleRegion(block.tested!);
      if (!block.code.includes(region)) throw new Error(`README.md:${block.line}: the block differs from the example in ${block.tested}`);
    }
  });

  // One program for every block and a deliberately broken one: type-checking src/ once takes seconds.
  const broken = join(ROOT, 'spec', 'readme', '.broken-block.mts');
  let errors: string[] = [];
  beforeAll(() => {
    // A block that uses `require` is a CommonJS user's file; any other an ES module (top-level await allowed).
    const files = new Map(tsBlocks.map((block) => [join(ROOT, 'spec', 'readme', `.readme-block-${block.line}.${/\brequire\(/.test(block.code) ? 'cts' : 'mts'}`), block.code] as const));
    files.set(broken, "import { DialoguePlugin } from 'dialogue-pipeline';\nnew DialoguePlugin({ experts: 'none' });");
    errors = typeErrors(files);
  }, 60_000);

  it('has TypeScript blocks that compile against the library, as a user would import it', () => {
    expect(errors.filter((error) => !error.startsWith(broken))).toEqual([]);
  });

  it('reports a block that does not compile', () => {
    expect(errors.filter((error) => error.startsWith(broken))).toEqual([expect.stringContaining('.broken-block.mts:2:')]);
  });
});
