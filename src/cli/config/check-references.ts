/**
 * The checks across sections, once every section decoded: expert ids unique, every id a route
 * or an aggregator names declared in `experts`. An expert named by an aggregator fusion only
 * writes the final answer: it is not on the panel, so routes cannot list it and at least one
 * other expert must be declared.
 */
import * as E from 'fp-ts/Either';
import { child, collect, fail, type Decoded } from './decoders';
import { expertIdOf, type DialogueConfig, type FallbackConfig, type FusionConfig } from './schema';

/** Where an id is named: its path and the id. */
interface Reference { readonly path: string; readonly id: string }

/** The aggregator experts named by the fusion at `path`. */
const aggregatorOf = (fusion: FusionConfig | undefined, path: string): Reference[] =>
  typeof fusion === 'object' ? [{ path: `${path}.expert`, id: fusion.expert }] : [];

/** Every route of the router with its path (the fallback included). */
const routesOf = (config: DialogueConfig): Array<{ readonly path: string; readonly route: FallbackConfig }> => {
  const router = config.router;
  if (router?.type !== 'intent') return [];
  const routes = Object.entries(router.routes).map(([intent, route]) => ({ path: child('router.routes', intent), route }));
  return router.fallback === undefined ? routes : [...routes, { path: 'router.fallback', route: router.fallback }];
};

/** Every place an aggregator fusion names its expert. */
const aggregatorRefs = (config: DialogueConfig): Reference[] => [
  ...aggregatorOf(config.fusion, 'fusion'),
  ...routesOf(config).flatMap(({ path, route }) => aggregatorOf(route.fusion, `${path}.fusion`)),
];

/** The ids of the declared experts that are aggregators only (see the module comment). */
export const aggregatorIds = (config: DialogueConfig): ReadonlySet<string> => new Set(aggregatorRefs(config).map((ref) => ref.id));

const checkIds = (config: DialogueConfig): Decoded<unknown>[] => {
  const first = new Map<string, number>();
  return config.experts.map((expert, i) => {
    const id = expertIdOf(expert);
    const where = expert.provider === 'openai-compatible' && expert.id === undefined ? `experts[${i}].model (the id by default)` : `experts[${i}].id`;
    if (id === 'fusion' || id === 'cache') return fail(`${where} must not be "fusion" or "cache" (reserved): give the expert an id`);
    const earlier = first.get(id);
    if (earlier !== undefined) return fail(`${where} is the same as the id of experts[${earlier}]: ids must be unique`);
    first.set(id, i);
    return E.right(id);
  });
};

/** Every cross-section problem of a decoded config, or the config itself. */
export const checkReferences = (config: DialogueConfig): Decoded<DialogueConfig> => {
  const declared = new Set(config.experts.map(expertIdOf));
  const aggregators = aggregatorIds(config);
  const routes = routesOf(config);
  const aggregatorChecks = aggregatorRefs(config)
    .map(({ path, id }) => (declared.has(id) ? E.right(id) : fail(`${path} is not the id of an expert in experts`)));
  const routeRefs = routes.flatMap(({ path, route }) => (route.experts ?? []).map((id, i, ids) => {
    const where = `${path}.experts[${i}]`;
    if (!declared.has(id)) return fail(`${where} is not the id of an expert in experts`);
    if (aggregators.has(id)) return fail(`${where} is an aggregator, which writes the final answer and is not asked as an expert`);
    return ids.indexOf(id) === i ? E.right(id) : fail(`${where} repeats an expert of the same route`);
  }));
  const panel = [...declared].filter((id) => !aggregators.has(id));
  const panelCheck = panel.length > 0 || aggregators.size === 0 ? E.right(0) : fail('experts must declare at least one expert besides the aggregator');
  return collect(config, [...checkIds(config), ...aggregatorChecks, ...routeRefs, panelCheck]);
};
