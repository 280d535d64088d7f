/**
 * `GET /`: the demo page (`../demo/page.ts`). Open: it holds no data, and a browser's navigation
 * cannot send a Bearer header; the page's own fetches send the key typed into its API key field.
 * The script is loaded (prebuilt in dist/, else bundled now) on the first request and kept in
 * memory (`../demo/bundle.ts`); every answer carries the page's strict Content-Security-Policy.
 */
import { demoBundle } from '../demo/bundle';
import { demoPage, type DemoPage } from '../demo/page';
import type { Route } from '../route';

let page: Promise<DemoPage> | undefined;

/** The page, built once per process. */
const homePage = (): Promise<DemoPage> => (page ??= demoBundle().then(demoPage));

/** The home page route. */
export const homeRoute: Route = {
  method: 'GET',
  path: '/',
  open: true,
  handler: async ({ res }) => {
    const { html, csp } = await homePage();
    if (res.headersSent || res.destroyed) return;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(Buffer.byteLength(html)),
      'content-security-policy': csp,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    });
    res.end(html);
  },
};
