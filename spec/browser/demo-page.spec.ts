import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDemoBundle, DEMO_SCRIPT_FILE, loadDemoBundle } from '../../src/server/demo/bundle';
import { demoPage } from '../../src/server/demo/page';

const noEsbuild = (): never => {
  throw new Error("Cannot find module 'esbuild'");
};

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
    const bundle = await buildDemoBundle(noEsbuild);
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

  describe('loadDemoBundle', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'demo-script-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('serves the script prebuilt by npm run build, without esbuild (an installed package)', async () => {
      writeFileSync(join(dir, DEMO_SCRIPT_FILE), '(()=>{document.title="built"})();');
      expect(await loadDemoBundle({ dir, load: noEsbuild })).toEqual({ kind: 'script', code: '(()=>{document.title="built"})();' });
    });

    it('bundles the source when nothing was prebuilt (running from TypeScript)', async () => {
      const bundle = await loadDemoBundle({ dir });
      expect(bundle.kind).toBe('script');
      expect(await loadDemoBundle({ dir, load: noEsbuild })).toEqual({ kind: 'unavailable', reason: expect.stringContaining('run npm run build') });
    });

    it('refuses a prebuilt script that would end the inline script element early', async () => {
      writeFileSync(join(dir, DEMO_SCRIPT_FILE), 'x="</script><script>alert(1)//";');
      expect(await loadDemoBundle({ dir, load: noEsbuild })).toEqual({ kind: 'unavailable', reason: 'The demo page\'s script could not be built.' });
    });
  });
});
