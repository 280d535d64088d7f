/**
 * CPU profiles: `startProfile` samples this process through the inspector (so module loading
 * and transpiling stay out of the picture), `hotspots` reads a `.cpuprofile` and says which
 * functions and which files the samples fall in.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { findSourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { readonly id: number; readonly callFrame: CallFrame; readonly children?: readonly number[] }
interface CpuProfile { readonly nodes: readonly ProfileNode[]; readonly samples: readonly number[]; readonly timeDeltas: readonly number[] }

/** Starts sampling every `intervalUs`; the returned function stops and writes the profile to `path`. */
export const startProfile = async (intervalUs = 100): Promise<(path: string) => Promise<void>> => {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> => new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result)));
  });
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: intervalUs });
  await post('Profiler.start');
  return async (path) => {
    const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile };
    annotate(profile);
    writeFileSync(path, JSON.stringify(profile));
    session.disconnect();
  };
};

const sources = new Map<string, readonly string[]>();
const sourceLines = (url: string): readonly string[] => {
  let lines = sources.get(url);
  if (lines === undefined) {
    lines = readFileSync(fileURLToPath(url), 'utf8').split('\n');
    sources.set(url, lines);
  }
  return lines;
};

/** `outer › head of the function`: the enclosing top-level declaration and the code where the function starts. */
const describeAt = (url: string, line: number, column: number): string => {
  const lines = sourceLines(url);
  let outer = '';
  for (let at = line; at >= 0 && outer === ''; at--) {
    outer = /^(?:export )?(?:const|let|function\*?|class|async function) ?(\w+)/.exec(lines[at] ?? '')?.[1] ?? '';
  }
  const head = (lines[line] ?? '').slice(column).trim().replace(/(=>|\{).*$/, '$1').slice(0, 48);
  return `${outer === '' ? '' : `${outer} › `}${head}`;
};

/**
 * Maps the transpiled positions (tsx puts a module on one line; tsc's output has its own lines)
 * back to the TS source through the source maps Node keeps with `--enable-source-maps`, and
 * names anonymous functions after their place in the code. Without source maps the profile is
 * left as it is.
 */
const annotate = (profile: CpuProfile): void => {
  for (const { callFrame } of profile.nodes) {
    if (!callFrame.url.startsWith('file://') || callFrame.url.includes('/node_modules/')) continue;
    const entry = findSourceMap(callFrame.url)?.findEntry(callFrame.lineNumber, callFrame.columnNumber) as
      { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    if (entry?.originalLine === undefined || entry.originalColumn === undefined) continue;
    if (entry.originalSource?.startsWith('file://')) callFrame.url = entry.originalSource;
    callFrame.lineNumber = entry.originalLine;
    callFrame.columnNumber = entry.originalColumn;
    if (callFrame.functionName === '') {
      try {
        callFrame.functionName = describeAt(callFrame.url, entry.originalLine, entry.originalColumn);
      } catch {
        // The source is gone: keep '(anonymous)'.
      }
    }
  }
};

/** One row of a hotspot table: a share of the busy samples. */
export interface Hotspot { readonly name: string; readonly where: string; readonly self: number; readonly total: number }

/** What a profile says. Shares are of the busy samples (everything but `(idle)`). */
export interface Hotspots {
  readonly busyMs: number;
  readonly functions: readonly Hotspot[];
  readonly files: readonly Hotspot[];
  /** Self time by component; time in native code (regex, builtins) is charged to the JS function that called it. */
  readonly components: readonly { readonly name: string; readonly self: number }[];
}

/** Components, first match wins, tested on the JS frame a sample is charged to. */
const COMPONENTS: readonly (readonly [string, (frame: CallFrame) => boolean])[] = [
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['tsx keepNames helper `__name` (absent from tsc output)', (f) => f.functionName === '__name'],
  ['guard: streaming redactor and rules (same work in both)', (f) => /streaming-redactor|redaction-rules|output-guard/.test(f.url)],
  ['fusion: `pickBest` word sets (same work in both)', (f) => /agreement-scorer|fusion-best/.test(f.url)],
  ['RxJS internals (Subscriber, operators, Observable)', (f) => f.url.includes('/node_modules/rxjs/')],
  ['cache key: canonical JSON + SHA-256', (f) => /safe-stable-stringify|cache-key|crypto/.test(f.url)],
  ['pipeline operators (src/operators)', (f) => f.url.includes('/src/operators/')],
  ['pipeline plumbing (src/pipeline: plugin, flight, job, metrics, ...)', (f) => f.url.includes('/src/pipeline/')],
  ['the experts (simulatedExpert)', (f) => f.url.includes('simulated-expert')],
  ['other src (cache store, cancel bus, ...)', (f) => f.url.includes('/src/')],
  ['bench harness and baseline code', (f) => f.url.includes('/bench/')],
  ['Node internals (timers, AbortController, promises)', (f) => f.url.startsWith('node:')],
  ['other', () => true],
];

const componentOf = (frame: CallFrame): string => COMPONENTS.find(([, test]) => test(frame))![0];

const shortUrl = (url: string): string => {
  if (url === '') return '';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) return path.slice(modules + 'node_modules/'.length).replace(/^rxjs\/dist\/cjs\/internal\//, 'rxjs/');
  const root = path.search(/\/(src|bench)\//);
  return root >= 0 ? path.slice(root + 1) : path;
};

const fileOf = (frame: CallFrame): string => {
  if (frame.functionName === '(garbage collector)') return '(garbage collector)';
  if (frame.url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native/V8 builtins)';
  if (frame.url.startsWith('node:')) return '(node internals)';
  return shortUrl(frame.url);
};

/** Reads a `.cpuprofile`; functions are keyed by name and place. */
export const hotspots = (path: string, top = 12): Hotspots => {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const fnKey = (frame: CallFrame): string =>
    `${frame.functionName === '' ? '(anonymous)' : frame.functionName}\u0000${shortUrl(frame.url)}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`}`;
  const fnSelf = new Map<string, number>();
  const fnTotal = new Map<string, number>();
  const fileSelf = new Map<string, number>();
  const fileTotal = new Map<string, number>();
  const componentSelf = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number): void => {
    map.set(key, (map.get(key) ?? 0) + us);
  };
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const leaf = byId.get(id);
    if (leaf === undefined || leaf.callFrame.functionName === '(idle)' || leaf.callFrame.functionName === '(program)') return;
    busyUs += us;
    add(fnSelf, fnKey(leaf.callFrame), us);
    add(fileSelf, fileOf(leaf.callFrame), us);
    let charged: number | undefined = id;
    while (charged !== undefined && byId.get(charged)!.callFrame.url === '' && byId.get(charged)!.callFrame.functionName !== '(garbage collector)') charged = parent.get(charged);
    add(componentSelf, componentOf((byId.get(charged ?? id) ?? leaf).callFrame), us);
    const seenFns = new Set<string>();
    const seenFiles = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (frame.functionName === '(root)') break;
      seenFns.add(fnKey(frame));
      seenFiles.add(fileOf(frame));
    }
    for (const key of seenFns) add(fnTotal, key, us);
    for (const key of seenFiles) add(fileTotal, key, us);
  });
  const rows = (self: Map<string, number>, total: Map<string, number>, split: boolean): Hotspot[] =>
    [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, us]) => {
      const [name, where] = split ? key.split('\u0000') as [string, string] : [key, ''];
      return { name, where, self: us / busyUs, total: (total.get(key) ?? us) / busyUs };
    });
  const components = [...componentSelf].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, self: us / busyUs }));
  return { busyMs: busyUs / 1000, functions: rows(fnSelf, fnTotal, true), files: rows(fileSelf, fileTotal, false), components };
};
