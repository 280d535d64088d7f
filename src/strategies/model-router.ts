/**
 * The model router: asks a small classifier model for the intent, then routes like the intent
 * router. The classifier gets one short prompt listing the intents; its answer (trimmed,
 * lower-cased, first word, surrounding punctuation dropped) must be one of them. It stops
 * listening as soon as the first word is complete. On ANY failure (error, timeout, empty or
 * unknown label) the decision is `fallback.route(input)` (typically an `intentRouter`, the
 * rules); an error of the fallback itself reaches the pipeline (a `system` error). The whole
 * classification must end within `timeoutMs` on the scheduler; unsubscribing stops it.
 *
 *     classifier:  -a-b|          a = ' Co', b = 'de.'      -> ----(d|)     d = the code route
 *     classifier:  -a 2000ms b|   timeoutMs 1500            -> 1500ms (f|)  f = fallback's decision
 *     subs:        ^ 1499ms !
 */
import { asyncScheduler, catchError, defer, isObservable, last, map, of, scan, takeWhile, timeout, type Observable, type SchedulerLike } from 'rxjs';
import type { Expert, RouteDecision, RouteInput, Router } from '../ports';
import { intentRoutes, type FallbackRoute, type IntentRouteTable } from './intent-router';

/** Options of {@link modelRouter}. */
export interface ModelRouterOptions extends IntentRouteTable {
  /** The model that names the intent; asked once per request, never retried. */
  readonly classifier: Expert;
  /** The labels it may answer: lower-case single words such as 'code', 'math'. */
  readonly intents: readonly string[];
  /** Deadline for the whole classification, in ms (default 1500). */
  readonly timeoutMs?: number;
  /** Decides whenever the classifier fails. */
  readonly fallback: Router;
  /** The route of a valid label with no entry in `routes` (default: every healthy expert, the plugin's fusion). */
  readonly unrouted?: FallbackRoute;
  /** The classifier sees at most this many characters of the prompt (default 4000). */
  readonly maxPromptChars?: number;
  /** Told why the fallback decided (for logs and metrics); must not throw, and is ignored if it does. */
  readonly onFallback?: (reason: unknown) => void;
  /** Default `asyncScheduler` (virtual inside `TestScheduler.run`). */
  readonly scheduler?: SchedulerLike;
}

/** The classifier's first word, lower-cased, surrounding punctuation dropped ('' when none). */
const labelOf = (answer: string): string =>
  (/\S+/.exec(answer.toLowerCase())?.[0] ?? '').replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

const FIRST_WORD_DONE = /\S\s/;

/** The prompt cut to `max` UTF-16 units, never between the halves of a surrogate pair. */
const cut = (prompt: string, max: number): string => {
  if (prompt.length <= max) return prompt;
  const code = prompt.charCodeAt(max - 1);
  return prompt.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
};

const check = (options: ModelRouterOptions): void => {
  const problems: string[] = [];
  if (typeof options.classifier?.stream !== 'function') problems.push('classifier must be an Expert');
  if (typeof options.fallback?.route !== 'function') problems.push('fallback must be a Router');
  if (!Array.isArray(options.intents) || options.intents.length === 0) problems.push('intents must be a non-empty array');
  else for (const intent of options.intents) {
    if (typeof intent !== 'string' || intent === '' || labelOf(intent) !== intent) problems.push(`intent "${String(intent)}" must be a lower-case word`);
  }
  const positive = (value: number | undefined, name: string) => {
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) problems.push(`${name} must be a finite number > 0`);
  };
  positive(options.timeoutMs, 'timeoutMs');
  positive(options.maxPromptChars, 'maxPromptChars');
  if (problems.length > 0) throw new TypeError(`modelRouter: ${problems.join('; ')}`);
};

/**
 * A router that asks `classifier` for the intent and falls back to `fallback` on any failure
 * (see the module comment). Returns an Observable decision. Throws a TypeError at construction
 * on bad options, a malformed route table, or an unknown expert id (with `knownExperts`).
 */
export const modelRouter = (options: ModelRouterOptions): Router => {
  check(options);
  const { classifier, fallback, onFallback, timeoutMs = 1500, maxPromptChars = 4000, scheduler = asyncScheduler } = options;
  const decide = intentRoutes({ routes: options.routes, knownExperts: options.knownExperts, fallback: options.unrouted }, 'modelRouter');
  const intents = new Set(options.intents);
  const header = `Classify the user's request into exactly one of: ${options.intents.join(', ')}. Answer with the single word.\n\nRequest: `;
  const report = (reason: unknown): void => {
    try {
      onFallback?.(reason);
    } catch {
      // A logging hook must not change the route.
    }
  };
  return {
    route: (input: RouteInput): Observable<RouteDecision> => {
      const prompt = header + cut(input.prompt, maxPromptChars);
      const task = { requestId: input.requestId ?? 'model-router', prompt, messages: [{ role: 'user' as const, content: prompt }], attempt: 1 };
      const fallback$ = defer(() => {
        const decision = fallback.route(input);
        return isObservable(decision) ? decision : of(decision);
      });
      return defer(() => classifier.stream(task)).pipe(
        scan((answer, token) => answer + token, ''),
        takeWhile((answer) => !FIRST_WORD_DONE.test(answer), true),
        last(null, ''),
        timeout({ first: timeoutMs, scheduler }),
        map((answer) => {
          const label = labelOf(answer);
          if (!intents.has(label)) throw new Error(`classifier answered ${JSON.stringify(answer.slice(0, 40))}, not one of the intents`);
          return decide(label, input);
        }),
        catchError((reason: unknown) => {
          report(reason);
          return fallback$;
        }),
      );
    },
  };
};
