/**
 * Turns a router's decision into a {@link Route}. Routes are memoized per decision shape, so
 * the plan id (a hash) is computed once per distinct plan, not once per request.
 */
import { createHash } from 'node:crypto';
import type { ExecutionPlan, KeyPlan, Route } from '../plan';
import type { Expert, FusionStrategy, RouteDecision } from '../ports';
import { canonicalJson, hashTaskParams } from './cache-key';

/** An expert with the hash of its params and prompt template, computed once. */
export interface RegisteredExpert { readonly expert: Expert; readonly paramsHash: string }

/** The experts by id, each with its params hash (computed once, not per request). */
export const registerExperts = (experts: readonly Expert[]): ReadonlyMap<string, RegisteredExpert> =>
  new Map(experts.map((expert) => [expert.id, { expert, paramsHash: hashTaskParams(expert.params, expert.promptTemplate) }]));

/** Turns a router's decision into a route; throws on an expert id that is not configured. */
export type RouteBuilder = (decision: RouteDecision) => Route;

/** Builds routes from decisions, remembering at most `maxPlans` distinct ones. */
export const createRouteBuilder = (experts: ReadonlyMap<string, RegisteredExpert>, defaultFusion: FusionStrategy, maxPlans = 256): RouteBuilder => {
  const memo = new Map<string, Route>();
  /** The route for a decision; throws on an expert id that is not configured. */
  return (decision: RouteDecision): Route => {
    const fusion = decision.fusion ?? defaultFusion;
    const signature = `${decision.intent}\u0000${decision.expertIds.join('\u0001')}\u0000${fusion.id}@${fusion.version}`;
    const known = memo.get(signature);
    if (known !== undefined && known.fusion === fusion) return known;
    const chosen = decision.expertIds.map((id) => {
      const registered = experts.get(id);
      if (registered === undefined) throw new Error(`router chose unknown expert "${id}"`);
      return registered;
    });
    const keyPlan: KeyPlan = {
      tasks: chosen.map(({ expert, paramsHash }) => ({ expertId: expert.id, model: expert.model, version: expert.version, paramsHash })),
      fusion: { id: fusion.id, version: fusion.version, orderSensitive: fusion.orderSensitive },
    };
    const id = createHash('sha256').update(canonicalJson({ intent: decision.intent, ...keyPlan })).digest('hex').slice(0, 16);
    const plan: ExecutionPlan = {
      id,
      intent: decision.intent,
      tasks: chosen.map(({ expert }) => ({ expertId: expert.id, model: expert.model, version: expert.version })),
      fusion: { id: fusion.id, version: fusion.version },
    };
    const route: Route = { plan, keyPlan, experts: chosen.map(({ expert }) => expert), fusion };
    if (memo.size >= maxPlans) memo.delete(memo.keys().next().value as string);
    memo.set(signature, route);
    return route;
  };
};
