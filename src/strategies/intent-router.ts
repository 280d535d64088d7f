/**
 * The intent router: classifies the prompt (rules by default) and maps the intent to an expert
 * set and a fusion. System state is an input, as for the default router:
 * - experts whose circuit breaker is open (`healthy: false`), or that the plugin does not
 *   have, are dropped from the intent's set, keeping the configured order;
 * - when none of the set is left, every healthy expert is asked instead (in plugin order),
 *   still with the intent's fusion: a degraded answer beats a `no-experts` error;
 * - under load (`load.inFlight > load.shedExpertsAbove`) only the first half (rounded up, at
 *   least one) is asked, which changes the plan and so the cache key.
 * An intent with no entry in `routes` takes the `fallback` route (default: every healthy
 * expert, the plugin's fusion).
 */
import type { FusionStrategy, RouteDecision, RouteInput, Router } from '../ports';
import { resolveFusion } from './fusion-registry';
import { checkIntentRules, classifyIntent, type IntentRule } from './intent-classifier';

/** One intent's route: the experts to ask, in order, and optionally the fusion (default: the plugin's). */
export interface IntentRoute { readonly experts: readonly string[]; readonly fusion?: FusionStrategy }

/** The route for intents without an entry; no `experts`: every healthy expert. */
export interface FallbackRoute { readonly experts?: readonly string[]; readonly fusion?: FusionStrategy }

/** A route table: routes by intent, and the expert ids to validate it against. */
export interface IntentRouteTable {
  readonly routes: Partial<Record<string, IntentRoute>>;
  /** When given, every expert id in the table must be one of these (else a TypeError at construction). */
  readonly knownExperts?: readonly string[];
}

/** Options of {@link intentRouter}. */
export interface IntentRouterOptions extends IntentRouteTable {
  readonly fallback?: FallbackRoute;
  /** The classification rules (default: `defaultIntentRules`); not together with `classify`. */
  readonly rules?: readonly IntentRule[];
  /** Your own classifier instead of the rules; must return a non-empty string. */
  readonly classify?: (prompt: string) => string;
}

/** Decides the route of an already classified prompt. */
export type IntentRoutes = (intent: string, input: RouteInput) => RouteDecision;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The problems of one route (`path` names it in messages). */
const routeProblems = (path: string, route: unknown, known: ReadonlySet<string> | undefined, expertsRequired: boolean): string[] => {
  if (!isObject(route)) return [`${path} must be an object`];
  const problems: string[] = [];
  const experts = route.experts;
  if (experts === undefined && !expertsRequired) {
    // every healthy expert
  } else if (!Array.isArray(experts) || experts.length === 0) {
    problems.push(`${path}.experts must be a non-empty array of expert ids`);
  } else {
    experts.forEach((id: unknown, i) => {
      if (typeof id !== 'string' || id === '') problems.push(`${path}.experts[${i}] must be a non-empty string`);
      else if (experts.indexOf(id) !== i) problems.push(`${path}.experts lists "${id}" twice`);
      else if (known !== undefined && !known.has(id)) problems.push(`${path}.experts[${i}] "${id}" is not a known expert`);
    });
  }
  if (route.fusion !== undefined) {
    try {
      resolveFusion(route.fusion as FusionStrategy);
    } catch (error) {
      problems.push(`${path}.fusion: ${(error as Error).message}`);
    }
  }
  return problems;
};

/**
 * Validates a route table once (one TypeError listing every problem, prefixed with `owner`) and
 * returns the decision function shared by {@link intentRouter} and `modelRouter`.
 */
export const intentRoutes = (table: IntentRouteTable & { readonly fallback?: FallbackRoute }, owner = 'intentRouter'): IntentRoutes => {
  const problems: string[] = [];
  const known = table.knownExperts === undefined ? undefined : new Set(table.knownExperts);
  if (!isObject(table.routes)) problems.push('routes must be an object');
  else for (const [intent, route] of Object.entries(table.routes)) {
    if (route !== undefined) problems.push(...routeProblems(`routes.${intent}`, route, known, true));
  }
  if (table.fallback !== undefined) problems.push(...routeProblems('fallback', table.fallback, known, false));
  if (problems.length > 0) throw new TypeError(`${owner}: ${problems.join('; ')}`);
  const { routes, fallback } = table;
  return (intent, { experts, load }) => {
    const route = (Object.hasOwn(routes, intent) ? routes[intent] : undefined) ?? fallback;
    const healthy = experts.filter((expert) => expert.healthy).map((expert) => expert.id);
    const wanted = route?.experts?.filter((id) => healthy.includes(id)) ?? healthy;
    const chosen = wanted.length > 0 ? wanted : healthy;
    const expertIds = load.inFlight > load.shedExpertsAbove ? chosen.slice(0, Math.ceil(chosen.length / 2)) : chosen;
    return route?.fusion === undefined ? { intent, expertIds } : { intent, expertIds, fusion: route.fusion };
  };
};

/**
 * A router that classifies the prompt with `classify` or the rules and routes by intent (see
 * the module comment). Throws a TypeError at construction on a malformed table or rule, an
 * unknown expert id (with `knownExperts`), or both `rules` and `classify`.
 */
export const intentRouter = (options: IntentRouterOptions): Router => {
  if (options.rules !== undefined && options.classify !== undefined) throw new TypeError('intentRouter: give rules or classify, not both');
  if (options.classify !== undefined && typeof options.classify !== 'function') throw new TypeError('intentRouter: classify must be a function');
  if (options.rules !== undefined) checkIntentRules(options.rules);
  const decide = intentRoutes(options);
  const { rules, classify = (prompt: string) => classifyIntent(prompt, rules) } = options;
  return {
    route: (input) => {
      const intent = classify(input.prompt);
      if (typeof intent !== 'string' || intent === '') throw new TypeError('intentRouter: classify must return a non-empty string');
      return decide(intent, input);
    },
  };
};
