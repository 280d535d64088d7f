/** The default router: every healthy expert, in the order they were configured. */
import type { RouteDecision, RouteInput, Router } from '../ports';

/** Routes every prompt to every healthy expert with intent 'general'. */
export const defaultRouter: Router = {
  route: ({ experts }: RouteInput): RouteDecision => ({
    intent: 'general',
    expertIds: experts.filter((expert) => expert.healthy).map((expert) => expert.id),
  }),
};
