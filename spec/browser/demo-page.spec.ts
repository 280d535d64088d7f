import { buildDemoBundle } from '../../src/server/demo/bundle';
import { demoPage } from '../../src/server/demo/page';

describe('demoPage', () => {
  it('inlines the bundled script and allows exactly it and the stylesheet by hash', async () => {
    const bundle = await buildDemoBundle();
    expect(bundle.kind).toBe('script');
    const { html, csp } = demoPage(bundle);
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(csp.match(/'sha256-/g)).toHaveLength(2);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe/);
  });

  it('explains, without a script, that the demo needs esbuild when it is not installed', async () => {
    const bundle = await buildDemoBundle(() => {
      throw new Error("Cannot find module 'esbuild'");
    });
    expect(bundle).toEqual({ kind: 'unavailable', reason: expect.stringContaining('needs esbuild, a dev dependency') });
    const { html, csp } = demoPage(bundle);
    expect(html).not.toContain('<script');
    expect(html).toContain('needs esbuild');
    expect(csp).toContain("script-src 'none'");
  });

  it('reports a failed build as unavailable instead of rejecting', async () => {
    const bundle = await buildDemoBundle(() => ({ build: () => Promise.reject(new Error('boom /secret/path')) }));
    expect(bundle).toEqual({ kind: 'unavailable', reason: 'The demo page\'s script could not be built.' });
  });
});
