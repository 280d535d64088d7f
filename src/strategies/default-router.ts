/**
 * The default router: every healthy expert, in the order they were configured, intent
 * 'general'. Load rule: while more than `load.shedExpertsAbove` requests are in flight, only
 * the first half (rounded up, at least one) of the healthy experts is asked, which changes the
 * plan and so the cache key.
 */
import type { RouteDecision, RouteInput, Router } from '../ports';

/** Routes every prompt to the healthy experts, fewer under load. */
export const defaultRouter: Router = {
  route: ({ experts, load }: RouteInput): RouteDecision => {
    const healthy = experts.filter((expert) => expert.healthy).map((expert) => expert.id);
    const underLoad = load.inFlight > load.shedExpertsAbove;
    return { intent: 'general', expertIds: underLoad ? healthy.slice(0, Math.ceil(healthy.length / 2)) : healthy };
  },
};
