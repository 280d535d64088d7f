/** Matching a request line to a route: found, no such path (404), or the path exists with other methods (405). */
import type { Route } from './route';

/** The outcome of {@link matchRoute}. `allow` lists the path's methods (`GET` brings `HEAD`). */
export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] };

const matchPath = (pattern: string, path: string): Record<string, string> | undefined => {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      if (got[i] === '') return undefined;
      params[want[i].slice(1)] = got[i];
    } else if (want[i] !== got[i]) return undefined;
  }
  return params;
};

/** The path of a request target (`/a/b?x` -> `/a/b`); undefined when it is not origin-form (`/...`). */
export const pathOf = (target: string | undefined): string | undefined => {
  const path = (target ?? '').split(/[?#]/, 1)[0];
  return path.startsWith('/') ? path : undefined;
};

/** Finds the route for `method` and `path` among `routes` (first match wins). */
export const matchRoute = (routes: readonly Route[], method: string, path: string | undefined): RouteMatch => {
  const onPath = path === undefined ? [] : routes.flatMap((route) => {
    const params = matchPath(route.path, path);
    return params === undefined ? [] : [{ route, params }];
  });
  if (onPath.length === 0) return { kind: 'not-found' };
  const wanted = method === 'HEAD' ? 'GET' : method;
  const hit = onPath.find(({ route }) => route.method === wanted);
  if (hit !== undefined) return { kind: 'found', ...hit };
  const allow = [...new Set(onPath.flatMap(({ route }) => (route.method === 'GET' ? ['GET', 'HEAD'] : [route.method])))];
  return { kind: 'method-not-allowed', allow };
};
