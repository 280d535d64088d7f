import type { Route } from '../../src/server/route';
import { matchRoute, pathOf } from '../../src/server/router';

const handler = (): void => undefined;
const routes: Route[] = [
  { method: 'GET', path: '/', handler },
  { method: 'POST', path: '/api/cancel/:requestId', handler },
  { method: 'GET', path: '/things/:id', handler },
  { method: 'POST', path: '/things/:id', handler },
];

describe('matchRoute', () => {
  it('finds a route and its path parameters (still encoded)', () => {
    expect(matchRoute(routes, 'POST', '/api/cancel/a%2Fb')).toEqual({ kind: 'found', route: routes[1], params: { requestId: 'a%2Fb' } });
    expect(matchRoute(routes, 'GET', '/')).toEqual({ kind: 'found', route: routes[0], params: {} });
  });

  it('answers HEAD with the GET route', () => {
    expect(matchRoute(routes, 'HEAD', '/things/1')).toEqual({ kind: 'found', route: routes[2], params: { id: '1' } });
  });

  it('says not-found for unknown paths, empty parameters and extra segments', () => {
    for (const path of ['/nope', '/api/cancel/', '/api/cancel/a/b', '', undefined]) expect(matchRoute(routes, 'POST', path)).toEqual({ kind: 'not-found' });
  });

  it('lists the methods of a known path for any other method', () => {
    expect(matchRoute(routes, 'DELETE', '/things/1')).toEqual({ kind: 'method-not-allowed', allow: ['GET', 'HEAD', 'POST'] });
    expect(matchRoute(routes, 'GET', '/api/cancel/x')).toEqual({ kind: 'method-not-allowed', allow: ['POST'] });
  });
});

describe('pathOf', () => {
  it('keeps the path of an origin-form target only', () => {
    expect(pathOf('/a/b?x=1#f')).toBe('/a/b');
    expect(pathOf('//evil.example/a')).toBe('//evil.example/a');
    expect(pathOf('http://host/a')).toBeUndefined();
    expect(pathOf('*')).toBeUndefined();
    expect(pathOf(undefined)).toBeUndefined();
  });
});
