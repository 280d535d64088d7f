/**
 * A fake expert for tests, demos and benchmarks: streams a deterministic answer word by word,
 * with configurable delays and injected faults, and counts its subscriptions in `stats`.
 *
 *     firstTokenDelayMs 5, tokenDelayMs 2, answer 'a b c':   5ms a 1ms b 1ms (c|)
 *     same, faults [{ afterTokens: 2, error: 'unavailable' }]: 5ms a 1ms b 1ms #
 */
import { asyncScheduler, Observable, type SchedulerAction, type SchedulerLike, type Subscriber } from 'rxjs';
import { ExpertError } from '../errors';
import type { ChatMessage } from '../conversation';
import type { Expert, ExpertTask } from '../ports';

/** The faults a simulated expert can inject. 'stall' stops emitting and never ends. */
export type SimulatedFaultKind = 'unavailable' | 'rate-limited' | 'network' | 'bad-request' | 'stall';

/** One injected fault: on `attempt` (1-based; omitted: every attempt), after `afterTokens` tokens (default 0). */
export interface SimulatedFault {
  readonly attempt?: number;
  readonly afterTokens?: number;
  readonly error: SimulatedFaultKind;
  /** Sent with 'rate-limited' and 'unavailable' as the server's Retry-After, in ms. */
  readonly retryAfterMs?: number;
}

/** Options of `simulatedExpert`. Delays default to 0; the scheduler to `asyncScheduler`. */
export interface SimulatedExpertOptions {
  readonly id: string;
  readonly model?: string;
  readonly version?: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /**
   * Default: a deterministic sentence or three built from the prompt (the last user message) and
   * the id. A function gets the prompt and the whole conversation.
   */
  readonly answer?: string | ((prompt: string, messages: readonly ChatMessage[]) => string);
  readonly firstTokenDelayMs?: number;
  readonly tokenDelayMs?: number;
  /** The first fault matching the task's attempt applies. */
  readonly faults?: readonly SimulatedFault[];
  readonly scheduler?: SchedulerLike;
}

/** Subscription counts; `active` is what is still subscribed. */
export interface SimulatedExpertStats { started: number; active: number; completed: number; failed: number; cancelled: number }

/** An Expert whose `stats` (a live object) prove that cancellation reached it. */
export type SimulatedExpert = Expert & { readonly stats: Readonly<SimulatedExpertStats> };

const KINDS: readonly string[] = ['unavailable', 'rate-limited', 'network', 'bad-request', 'stall'];

/**
 * Creates a simulated expert. Tokens are the answer's words with their leading whitespace
 * (`/\s*\S+/g`), so they join to the answer without its trailing whitespace; an empty answer
 * completes at once. Zero delays emit synchronously. A fault replaces the token after
 * `afterTokens` (or the completion, when the answer is shorter). The task's `params` are
 * honoured as a model would: `maxTokens` cuts the answer to that many tokens, `stop` ends it
 * before the first stop sequence. Throws a TypeError on bad options.
 */
export function simulatedExpert(options: SimulatedExpertOptions): SimulatedExpert {
  validate(options);
  const { id, answer, scheduler = asyncScheduler } = options;
  const faults = [...(options.faults ?? [])];
  const first = options.firstTokenDelayMs ?? 0;
  const delay = options.tokenDelayMs ?? 0;
  const fixed = typeof answer === 'string' ? tokenize(answer) : undefined;
  const stats: SimulatedExpertStats = { started: 0, active: 0, completed: 0, failed: 0, cancelled: 0 };
  const stream = (task: ExpertTask): Observable<string> => {
    const fault = faults.find((f) => f.attempt === undefined || f.attempt === task.attempt);
    // new Observable rather than composed operators: this is the per-token hot path of every test and bench.
    return new Observable<string>((subscriber) => {
      stats.started++;
      stats.active++;
      const run: Run = { subscriber, stats, id, fault, delay, tokens: fixed ?? [], i: 0, stop: 0, ended: false };
      subscriber.add(() => settle(run));
      try {
        const text = typeof answer === 'function' ? answer(task.prompt, task.messages ?? [{ role: 'user', content: task.prompt }])
          : typeof answer === 'string' && task.params?.stop === undefined ? undefined
            : answer ?? defaultAnswer(id, task.prompt);
        run.tokens = limited(text === undefined ? fixed ?? [] : tokenize(stopped(text, task.params?.stop)), task.params?.maxTokens);
      } catch (error) {
        run.ended = true;
        stats.failed++;
        return subscriber.error(error);
      }
      run.stop = fault ? Math.min(fault.afterTokens ?? 0, run.tokens.length) : run.tokens.length;
      if (first > 0) subscriber.add(scheduler.schedule(tick, first, run));
      else if (pump(run)) subscriber.add(scheduler.schedule(tick, delay, run));
    });
  };
  return { id, model: options.model ?? 'simulated', version: options.version ?? '1', params: options.params, stream, stats };
}

interface Run {
  readonly subscriber: Subscriber<string>; readonly stats: SimulatedExpertStats; readonly id: string;
  readonly fault: SimulatedFault | undefined; readonly delay: number;
  tokens: readonly string[]; i: number; stop: number; ended: boolean;
}

/** The one scheduled action of a subscription: it reschedules itself while tokens remain. */
function tick(this: SchedulerAction<Run>, run?: Run): void {
  if (run !== undefined && pump(run)) this.schedule(run, run.delay);
}

/** Emits what is due now; true when the next token (or the fault replacing it) is `delay` away. */
function pump(run: Run): boolean {
  const { subscriber, tokens } = run;
  while (!subscriber.closed) {
    if (run.i >= run.stop) return end(run);
    subscriber.next(tokens[run.i++]);
    if (run.delay > 0 && run.i < tokens.length) return !subscriber.closed;
  }
  return false;
}

/** Completes, or applies the fault: errors, or (stall) leaves the subscription open. Returns false: nothing to schedule. */
function end(run: Run): false {
  const { fault } = run;
  if (fault?.error === 'stall') return false;
  run.ended = true;
  if (fault === undefined) {
    run.stats.completed++;
    run.subscriber.complete();
  } else {
    run.stats.failed++;
    run.subscriber.error(faultError(run.id, fault));
  }
  return false;
}

/** Runs once per subscription, whichever way it ends. */
function settle(run: Run): void {
  run.stats.active--;
  if (!run.ended) run.stats.cancelled++;
}

function faultError(id: string, { error, retryAfterMs }: SimulatedFault): ExpertError {
  switch (error) {
    case 'unavailable': return new ExpertError(id, 'Service unavailable', { status: 503, retryAfterMs });
    case 'rate-limited': return new ExpertError(id, 'Rate limited', { status: 429, retryAfterMs });
    case 'network': return new ExpertError(id, 'Connection reset', { failure: 'network' });
    default: return new ExpertError(id, 'Bad request', { status: 400 });
  }
}

const tokenize = (text: string): readonly string[] => text.match(/\s*\S+/g) ?? [];

/** The text up to the first of the stop sequences (as a model stops before emitting one). */
const stopped = (text: string, stop: readonly string[] | undefined): string => {
  if (stop === undefined) return text;
  let end = text.length;
  for (const sequence of stop) {
    const at = text.indexOf(sequence);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
};

/** At most `maxTokens` tokens. */
const limited = (tokens: readonly string[], maxTokens: number | undefined): readonly string[] =>
  (maxTokens === undefined || tokens.length <= maxTokens ? tokens : tokens.slice(0, maxTokens));

const OPENERS = ['In short,', 'Put simply,', 'At its core,', 'Broadly speaking,', 'To answer briefly,'];
const CLAIMS = ['comes down to', 'depends mostly on', 'is best understood through', 'starts with', 'hinges on'];
const DETAILS = ['A good first step is to look at $ closely.', 'Most of the work lies in getting $ right.',
  'It helps to compare $ with the alternatives.', 'The details of $ matter more than they seem.'];
const CLOSERS = ['That is the core of it.', 'Everything else follows from there.', 'A small example makes this concrete.', ''];
const STOP = new Set(['what', 'does', 'with', 'this', 'that', 'have', 'from', 'about', 'which', 'there', 'would', 'could',
  'should', 'when', 'where', 'your', 'into', 'than', 'they', 'will', 'explain', 'tell', 'please', 'how', 'why', 'the', 'and', 'for', 'are', 'you', 'can', 'its']);

/** Deterministic: the same id and prompt give the same text; other ids pick other phrases around the same key words. */
function defaultAnswer(id: string, prompt: string): string {
  let h = 0x811c9dc5;
  for (const ch of `${id}\u0000${prompt}`) h = Math.imul(h ^ ch.codePointAt(0)!, 0x01000193) >>> 0;
  const words = [...new Set(prompt.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? [])].filter((w) => !STOP.has(w)).slice(0, 3);
  const topic = words.length === 0 ? 'the topic at hand' : words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
  const pick = (list: readonly string[], shift: number): string => list[(h >>> shift) % list.length];
  return `${pick(OPENERS, 0)} the question ${pick(CLAIMS, 8)} ${topic}. ${pick(DETAILS, 16).replace('$', words[0] ?? 'it')} ${pick(CLOSERS, 24)}`.trimEnd();
}

function validate(o: SimulatedExpertOptions): void {
  const fail = (message: string): never => { throw new TypeError(`simulatedExpert: ${message}`); };
  const number = (v: number | undefined, name: string, min: number, integer: boolean): void => {
    if (v !== undefined && !((integer ? Number.isInteger(v) : Number.isFinite(v)) && v >= min)) fail(`${name} must be ${integer ? 'an integer' : 'a finite number'} >= ${min}, got ${v}`);
  };
  if (typeof o?.id !== 'string' || o.id.trim() === '') fail('id must be a non-empty string');
  if (o.answer !== undefined && typeof o.answer !== 'string' && typeof o.answer !== 'function') fail('answer must be a string or a function');
  number(o.firstTokenDelayMs, 'firstTokenDelayMs', 0, false);
  number(o.tokenDelayMs, 'tokenDelayMs', 0, false);
  if (o.faults !== undefined && !Array.isArray(o.faults)) fail('faults must be an array');
  (o.faults ?? []).forEach((f, n) => {
    if (typeof f !== 'object' || f === null || !KINDS.includes(f.error)) fail(`faults[${n}].error must be one of ${KINDS.join(', ')}`);
    number(f.attempt, `faults[${n}].attempt`, 1, true);
    number(f.afterTokens, `faults[${n}].afterTokens`, 0, true);
    number(f.retryAfterMs, `faults[${n}].retryAfterMs`, 0, false);
  });
}
