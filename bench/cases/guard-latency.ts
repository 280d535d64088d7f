/**
 * Case (d): what the default guard's streaming redactor (`defaultGuard().open()`) costs a token
 * stream in latency and CPU. A property of the guard alone: no pipeline, no baseline.
 *
 * Six streams: three texts (the experts' answer of case (b); prose with e-mails, API keys,
 * key assignments, bearer tokens and card numbers; prose with private-key blocks), each split
 * into word tokens (with their leading whitespace, as `simulatedExpert` splits) and into
 * LLM-like sub-word pieces of 2-5 characters (seeded random lengths).
 *
 * Hold-back: each text is built from segments, plain or secret (with the replacement the rules
 * must give it), so the expected output and where each output character comes from are known;
 * the case checks that the streamed output equals that and `guard.apply(text)`. An output
 * character copied from input position p "arrived" with the token holding p; a replacement's
 * characters arrived with the secret's last character. Per emitted character: tokens between
 * arrival and emission (`flush()` counts as the push after the last token) and input characters
 * that arrived meanwhile. After each push: input characters held (received, not yet accounted
 * for by the output). A probe streams a run that a rule holds without end (an extra rule whose
 * tail matches any run of `x`), one character at a time, to find the redactor's effective
 * `maxHoldBack` (the most it held before releasing); another streams an unterminated private-key
 * block of 1 MB, a line per push, and counts the characters that came out (blocks are never
 * released: 0 expected).
 *
 * CPU: after warm-up, rounds of one pass per stream (a fresh redactor, every push and the flush,
 * timed as a whole with `process.hrtime.bigint()`) until the budget is spent; per pass, ns per token.
 * Target: the median pass on the experts' word tokens (`words/words`, the shape of case (b)'s
 * answers) costs at most 300 ns per token; a one-line summary per stream goes to stderr.
 */
import { defaultGuard } from '../../src/strategies/output-guard';
import { luhnValid, type RedactionRule } from '../../src/strategies/redaction-rules';
import type { Impl } from '../impls';
import type { Effort } from '../measure';
import type { GuardCaseResult, GuardStreamResult } from '../result';
import { summarize } from '../stats';
import { answerText, seededRandom, tokenize } from '../workload';
import { PER_TOKEN_TOKENS } from './per-token';

/** A piece of a text: copied as is, or a secret the guard must replace by `replacement`. */
interface Segment { readonly text: string; readonly replacement?: string }

/** A text, its expected redaction and, per output character, the input position it waits for. */
interface Built {
  readonly text: string;
  readonly expected: string;
  /** Output offset -> input position whose arrival makes the character emittable. */
  readonly source: Int32Array;
  /** 1 where a cut before that output offset would split a replacement. */
  readonly inside: Uint8Array;
  readonly redactions: number;
}

const build = (segments: readonly Segment[]): Built => {
  const text = segments.map((s) => s.text).join('');
  const expected = segments.map((s) => s.replacement ?? s.text).join('');
  const source = new Int32Array(expected.length);
  const inside = new Uint8Array(expected.length + 1);
  let at = 0;
  let out = 0;
  let redactions = 0;
  for (const { text: piece, replacement } of segments) {
    if (replacement === undefined) {
      for (let i = 0; i < piece.length; i++) source[out + i] = at + i;
      out += piece.length;
    } else {
      redactions++;
      for (let i = 0; i < replacement.length; i++) {
        source[out + i] = at + piece.length - 1;
        if (i > 0) inside[out + i] = 1;
      }
      out += replacement.length;
    }
    at += piece.length;
  }
  return { text, expected, source, inside, redactions };
};

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE64 = `${ALNUM}+/`;

/** The secrets inserted into prose: each template gives the segments of one insertion (leading space included). */
const secretTemplates = (rnd: () => number): readonly (() => Segment[])[] => {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const chars = (alphabet: string, n: number): string => Array.from({ length: n }, () => pick([...alphabet])).join('');
  const digits = (n: number): string => chars('0123456789', n);
  /** 16 digits (15 for Amex-like), Luhn valid or not, grouped by spaces, dashes or not at all. */
  const card = (valid: boolean): string => {
    const prefix = pick(['4', '51', '37']);
    const body = prefix + digits((prefix === '37' ? 14 : 15) - prefix.length);
    const check = [...'0123456789'].find((d) => luhnValid(body + d) === valid)!;
    const full = body + check;
    const sep = pick([' ', '-', '']);
    return full.length === 16 ? full.match(/.{4}/g)!.join(sep) : `${full.slice(0, 4)}${sep}${full.slice(4, 10)}${sep}${full.slice(10)}`;
  };
  const secret = (text: string, replacement: string): Segment => ({ text, replacement });
  const plain = (text: string): Segment => ({ text });
  return [
    () => [plain(' write to '), secret(`${pick(['jane.doe', 'ops+alerts', 'j.smith', 'billing'])}@${pick(['example.com', 'mail.example.co.uk', 'corp-internal.example.org'])}`, '[REDACTED:email]'), plain(' for access')],
    () => [plain(' the key is '), secret(`sk-proj-${chars(`${ALNUM}_-`, 48)}`, '[REDACTED:api-key]'), plain(' so rotate it')],
    () => [plain(' token '), secret(`ghp_${chars(ALNUM, 36)}`, '[REDACTED:api-key]'), plain(' was leaked')],
    () => [plain(' access key '), secret(`AKIA${chars(UPPER_DIGITS, 16)}`, '[REDACTED:api-key]'), plain(' in us-east-1')],
    () => [plain(' charge with '), secret(`sk_live_${chars(ALNUM, 24)}`, '[REDACTED:api-key]'), plain(' today')],
    // The rule keeps the name: model it as a plain head and a secret value (same output).
    () => [plain(' set api_key='), secret(chars(ALNUM, 32), '[REDACTED:api-key]'), plain(' in the env')],
    () => [plain(' config {"client_secret": "'), secret(chars(`${ALNUM}-_`, 40), '[REDACTED:api-key]'), plain('"} loaded')],
    () => [plain(' send Authorization: Bearer '), secret(`${chars(ALNUM, 20)}.${chars(`${ALNUM}_-`, 30)}`, '[REDACTED:token]'), plain(' with it')],
    () => [plain(' card '), secret(card(true), '[REDACTED:card]'), plain(' expires soon')],
    () => [plain(' order '), plain(card(false)), plain(' shipped')],
  ];
};

/** An RSA-style private key block of `lines` base64 lines of 64 characters. */
const keyBlock = (rnd: () => number, lines: number): Segment[] => {
  const line = (): string => Array.from({ length: 64 }, () => BASE64[Math.floor(rnd() * BASE64.length)]!).join('');
  const body = Array.from({ length: lines }, line).join('\n');
  return [
    { text: ' here is the key:\n' },
    { text: `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`, replacement: '[REDACTED:private-key]' },
    { text: '\nkeep it safe' },
  ];
};

/** `words` words of expert `expert`'s answer, with an insertion from `insert` every `gap()` words. */
const prose = (expert: number, words: number, gap: () => number, insert: () => Segment[]): Segment[] => {
  const out: Segment[] = [];
  let next = gap();
  answerText(expert, words).split(' ').forEach((word, i) => {
    out.push({ text: i === 0 ? word : ` ${word}` });
    if (i === next) {
      out.push(...insert());
      next += gap();
    }
  });
  return out;
};

/** The text split into pieces of 2-5 characters (seeded), like an LLM's sub-word tokens. */
const pieces = (text: string, seed: number): string[] => {
  const rnd = seededRandom(seed);
  const out: string[] = [];
  for (let at = 0; at < text.length;) {
    const n = 2 + Math.floor(rnd() * 4);
    out.push(text.slice(at, at + n));
    at += n;
  }
  return out;
};

interface Stream { readonly id: string; readonly label: string; readonly built: Built; readonly tokens: readonly string[] }

const streams = (): Stream[] => {
  const rnd = seededRandom(20261124);
  const templates = secretTemplates(rnd);
  const texts: readonly (readonly [string, string, Built])[] = [
    ['words', "experts' answer (b)", build([{ text: answerText(0, PER_TOKEN_TOKENS) }])],
    // A secret every 20-60 words: e-mails, API keys, key assignments, bearer tokens, cards (1 in 10 a non-Luhn number, kept).
    ['secrets', 'prose + secrets',
      build(prose(1, 6000, () => 20 + Math.floor(rnd() * 41), () => templates[Math.floor(rnd() * templates.length)]!()))],
    // A private-key block (25 lines of 64, ~1.7 kB) every 300-500 words.
    ['keys', 'prose + private-key blocks',
      build(prose(2, 4000, () => 300 + Math.floor(rnd() * 201), () => keyBlock(rnd, 25)))],
  ];
  return texts.flatMap(([id, label, built], k) => {
    const words = tokenize(built.text);
    if (words.join('') !== built.text) throw new Error(`d-guard-latency: ${id}: the text ends with whitespace`);
    return [
      { id: `${id}/words`, label: `${label}, word tokens`, built, tokens: words },
      { id: `${id}/pieces`, label: `${label}, 2-5 char pieces`, built, tokens: pieces(built.text, 7 + k) },
    ];
  });
};

/** One instrumented pass: the hold-back of every emitted character and after every push. */
const holdBack = (stream: Stream, open: () => { push(text: string): string; flush(): string }, apply: (text: string) => string) => {
  const { built, tokens } = stream;
  if (apply(built.text) !== built.expected) {
    const a = apply(built.text);
    let i = 0;
    while (i < a.length && a[i] === built.expected[i]) i++;
    throw new Error(`d-guard-latency: ${stream.id}: guard.apply differs from the expected redaction at ${i}: ${JSON.stringify(a.slice(i - 20, i + 40))} vs ${JSON.stringify(built.expected.slice(i - 20, i + 40))}`);
  }
  const arrival = new Int32Array(built.text.length);
  for (let k = 0, at = 0; k < tokens.length; at += tokens[k]!.length, k++) arrival.fill(k, at, at + tokens[k]!.length);
  const tokenDelay = new Float64Array(built.expected.length);
  const charDelay = new Float64Array(built.expected.length);
  const held = new Float64Array(tokens.length);
  const redactor = open();
  let received = 0;
  let emitted = 0;
  const take = (out: string, step: number): void => {
    if (built.expected.slice(emitted, emitted + out.length) !== out) throw new Error(`d-guard-latency: ${stream.id}: step ${step} emitted ${JSON.stringify(out.slice(0, 60))}, expected ${JSON.stringify(built.expected.slice(emitted, emitted + 60))}`);
    for (let j = emitted; j < emitted + out.length; j++) {
      tokenDelay[j] = step - arrival[built.source[j]!]!;
      charDelay[j] = received - 1 - built.source[j]!;
    }
    emitted += out.length;
    if (built.inside[emitted] === 1) throw new Error(`d-guard-latency: ${stream.id}: step ${step} cut a replacement`);
  };
  for (let k = 0; k < tokens.length; k++) {
    received += tokens[k]!.length;
    take(redactor.push(tokens[k]!), k);
    held[k] = received - (emitted === 0 ? 0 : built.source[emitted - 1]! + 1);
  }
  take(redactor.flush(), tokens.length);
  if (emitted !== built.expected.length) throw new Error(`d-guard-latency: ${stream.id}: emitted ${emitted} of ${built.expected.length} characters`);
  return { tokenDelay: summarize(tokenDelay), charDelay: summarize(charDelay), heldChars: summarize(held) };
};

/** A rule that holds any run of `x` (and never matches): what makes the redactor's own hold-back limit show. */
const holdRuns: RedactionRule = { id: 'hold-runs', version: '1', pattern: /(?!)/g, tail: /x+$/, replace: () => null };

/** The most the redactor holds before releasing: a run its extra rule would hold forever, one character per push. */
const probeMaxHoldBack = (): number => {
  const redactor = defaultGuard({ extraRules: [holdRuns] }).open();
  if (redactor.push(' x') !== ' ') throw new Error('d-guard-latency: the probe run was not held');
  for (let held = 1; held < 1_000_000; held++) if (redactor.push('x') !== '') return held;
  return Infinity;
};

/** Characters that come out of an unterminated private-key block of about 1 MB, streamed a 64-character line per push. */
const probeKeyBlockLeak = (open: () => { push(text: string): string }): number => {
  const redactor = open();
  let out = redactor.push('the key:\n-----BEGIN RSA PRIVATE KEY-----\n');
  if (out !== 'the key:\n') throw new Error(`d-guard-latency: the key probe emitted ${JSON.stringify(out)} before the block`);
  out = '';
  for (let i = 0; i < 16_000; i++) out += redactor.push(`${BASE64.slice(i % 16, (i % 16) + 48)}${BASE64.slice(0, 16)}\n`);
  return out.length;
};

/** Case (d)'s cost target: ns per token of `push()` on the experts' word tokens. */
export const GUARD_TARGET_NS_PER_TOKEN = 300;
const TARGET_STREAM = 'words/words';

/** Case (d)'s result with the cost target and the key-block probe. */
export type GuardLatencyResult = GuardCaseResult & {
  readonly target: { readonly stream: string; readonly nsPerToken: number; readonly measured: number; readonly met: boolean };
  /** Characters emitted while an unterminated 1 MB private-key block streamed (0: none of it came out). */
  readonly keyBlockLeak: number;
};

let sink = 0;

/** Runs case (d); `impl` is ignored (the guard is the same code on both sides). */
export const guardLatencyCase = async (name: string, impl: Impl, effort: Effort): Promise<GuardLatencyResult> => {
  const guard = defaultGuard();
  const open = (): ReturnType<typeof guard.open> => guard.open();
  const all = streams();
  for (const { id, built } of all) if (built.expected.length >= 100_000) throw new Error(`d-guard-latency: ${id} exceeds the guard's maxLength`);
  const pass = (tokens: readonly string[]): number => {
    const redactor = open();
    const start = process.hrtime.bigint();
    for (let k = 0; k < tokens.length; k++) sink ^= redactor.push(tokens[k]!).length;
    sink ^= redactor.flush().length;
    return Number(process.hrtime.bigint() - start);
  };
  const warmStart = performance.now();
  let warmupRounds = 0;
  while (warmupRounds < effort.warmup || performance.now() - warmStart < effort.warmupMs) {
    for (const stream of all) pass(stream.tokens);
    warmupRounds++;
  }
  (globalThis as { gc?: () => void }).gc?.();
  const times = all.map((): number[] => []);
  const deadline = performance.now() + effort.budgetMs;
  while (performance.now() < deadline || times[0]!.length < 3) {
    all.forEach((stream, i) => times[i]!.push(pass(stream.tokens) / stream.tokens.length));
  }
  const results: GuardStreamResult[] = all.map((stream, i) => ({
    stream: stream.id,
    label: stream.label,
    tokens: stream.tokens.length,
    chars: stream.built.text.length,
    outputChars: stream.built.expected.length,
    redactions: stream.built.redactions,
    ...holdBack(stream, open, guard.apply),
    pushNsPerToken: summarize(times[i]!),
    nsPerChar: times[i]!.reduce((a, b) => a + b, 0) / times[i]!.length * stream.tokens.length / stream.built.text.length,
  }));
  const measured = results.find((r) => r.stream === TARGET_STREAM)!.pushNsPerToken.p50;
  const target = { stream: TARGET_STREAM, nsPerToken: GUARD_TARGET_NS_PER_TOKEN, measured, met: measured <= GUARD_TARGET_NS_PER_TOKEN };
  for (const r of results) process.stderr.write(`  ${name}: ${r.stream.padEnd(15)} ${r.pushNsPerToken.p50.toFixed(0).padStart(5)} ns/token (median pass; mean ${r.pushNsPerToken.mean.toFixed(0)})\n`);
  process.stderr.write(`  ${name}: target <= ${GUARD_TARGET_NS_PER_TOKEN} ns/token on ${TARGET_STREAM}: ${measured.toFixed(0)}, ${target.met ? 'met' : 'NOT met'}\n`);
  return {
    kind: 'guard', case: name, impl, maxHoldBack: probeMaxHoldBack(), warmupRounds, streams: results, target, keyBlockLeak: probeKeyBlockLeak(open),
  };
};
