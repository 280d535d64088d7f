/** Turns the config's `fusion` and `router` sections into a fusion and a router over the built experts. */
import * as A from 'fp-ts/Array';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import type { Expert, FusionStrategy, Router } from '../../index';
import { aggregator } from '../../index';
import { resolveFusion, type FusionName } from '../../index';
import { intentRouter, type FallbackRoute, type IntentRoute } from '../../index';
import { attempt } from './attempt';
import { child, validation, type Decoded } from './decoders';
import type { FusionConfig, RouterConfig } from './schema';

/** The built experts by id (aggregators included). */
export type ExpertsById = ReadonlyMap<string, Expert>;

/** A fusion name as is, or an aggregator over the named (already checked) expert; undefined stays undefined. */
export const buildFusion = (fusion: FusionConfig | undefined, byId: ExpertsById, path: string): Decoded<FusionName | FusionStrategy | undefined> => {
  if (fusion === undefined || typeof fusion === 'string') return E.right(fusion);
  return attempt(path, () => aggregator(byId.get(fusion.expert) as Expert));
};

const strategy = (fusion: FusionConfig | undefined, byId: ExpertsById, path: string): Decoded<FusionStrategy | undefined> =>
  pipe(buildFusion(fusion, byId, path), E.map((built) => (built === undefined ? undefined : resolveFusion(built))));

/** `route` with the fusion, when there is one. */
const withFusion = <R extends FallbackRoute>(route: R, fusion: FusionStrategy | undefined): R => (fusion === undefined ? route : { ...route, fusion });

/**
 * The intent router of an `intent` section (undefined for `default` or none: the plugin's
 * default router), restricted to the `panel` expert ids.
 */
export const buildRouter = (router: RouterConfig | undefined, byId: ExpertsById, panel: readonly string[]): Decoded<Router | undefined> => {
  if (router?.type !== 'intent') return E.right(undefined);
  const routes = Object.entries(router.routes).map(([intent, route]) => pipe(
    strategy(route.fusion, byId, `${child('router.routes', intent)}.fusion`),
    E.map((fusion): readonly [string, IntentRoute] => [intent, withFusion({ experts: route.experts }, fusion)]),
  ));
  const { fallback } = router;
  const fallbackRoute = fallback === undefined
    ? E.right(undefined)
    : pipe(strategy(fallback.fusion, byId, 'router.fallback.fusion'), E.map((fusion): FallbackRoute => withFusion(
      fallback.experts === undefined ? {} : { experts: fallback.experts }, fusion)));
  return pipe(
    E.Do,
    E.apS('routes', A.sequence(validation)(routes)),
    E.apS('fallback', fallbackRoute),
    E.chain(({ routes: built, fallback: last }) =>
      attempt('router', () => intentRouter({ routes: Object.fromEntries(built), fallback: last, knownExperts: panel }))),
  );
};
