import * as E from 'fp-ts/Either';
import { lastValueFrom, reduce } from 'rxjs';
import { buildPluginParts, type Env } from '../../../src/cli/config/build-plugin-parts';
import { decodeConfig } from '../../../src/cli/config/decode-config';
import type { PluginParts } from '../../../src/cli/plugin-parts';
import type { Expert, RouteDecision, RouteInput } from '../../../src/ports';

const SECRET = 'sk-proj-TOPSECRET0123456789';
const paths = { configDir: '/etc/dialogue', cwd: '/home/me/project' };

const build = (config: unknown, env: Env = {}): E.Either<readonly string[], PluginParts> => {
  const decoded = decodeConfig(config);
  if (E.isLeft(decoded)) throw new Error(`invalid config in a test: ${decoded.left.join('; ')}`);
  return buildPluginParts(decoded.right, env, paths);
};

const built = (config: unknown, env: Env = {}): PluginParts => {
  const parts = build(config, env);
  if (E.isLeft(parts)) throw new Error(`expected parts, got: ${parts.left.join('; ')}`);
  return parts.right;
};

const answer = (expert: Expert, prompt = 'hi'): Promise<string> =>
  lastValueFrom(expert.stream({ requestId: 'r', prompt, messages: [{ role: 'user', content: prompt }], attempt: 1 }).pipe(reduce((text, token) => text + token, '')));

const sim = (id: string, answerText = `${id} says hi`) => ({ provider: 'simulated', id, answer: answerText });
const local = { provider: 'openai-compatible', baseURL: 'http://localhost:11434/v1', model: 'llama3.1' };

const route = (parts: PluginParts, prompt: string): RouteDecision => parts.router?.route({
  prompt,
  experts: parts.experts.map(({ id, model, version }) => ({ id, model, version, healthy: true })),
  load: { inFlight: 1, maxConcurrent: 64, shedExpertsAbove: Infinity },
} satisfies RouteInput) as RouteDecision;

describe('buildPluginParts', () => {
  it('builds simulated and openai-compatible experts with their ids, models, versions and params', async () => {
    const parts = built({ experts: [sim('a'), local, { ...local, id: 'hot', version: '2', params: { temperature: 1 } }] });
    expect(parts.experts.map(({ id, model, version, params }) => ({ id, model, version, params }))).toEqual([
      { id: 'a', model: 'simulated', version: '1', params: undefined },
      { id: 'llama3.1', model: 'llama3.1', version: '1', params: undefined },
      { id: 'hot', model: 'llama3.1', version: '2', params: { temperature: 1 } },
    ]);
    expect(await answer(parts.experts[0])).toBe('a says hi');
  });

  it('leaves everything else undefined when the file does not set it (the CLI defaults apply)', () => {
    const parts = built({ experts: [sim('a')] });
    expect(parts).toEqual({ experts: parts.experts, router: undefined, fusion: undefined, cache: undefined, retry: undefined, timeouts: undefined, limits: undefined, breaker: undefined });
  });

  it('reports an apiKeyEnv variable that is unset, blank or not a usable key, without quoting its value', () => {
    const config = { experts: [{ ...local, apiKeyEnv: 'NOT_SET' }, { ...local, id: 'b', apiKeyEnv: 'BLANK' }, { ...local, id: 'c', apiKeyEnv: 'SPACED' }] };
    const parts = build(config, { BLANK: '  ', SPACED: `${SECRET} extra` });
    expect(parts).toEqual(E.left([
      'experts[0].apiKeyEnv names NOT_SET, which is not set in the environment',
      'experts[1].apiKeyEnv names BLANK, which is not set in the environment',
      'experts[2].apiKeyEnv names SPACED, whose value is not a usable API key (printable ASCII, no spaces)',
    ]));
    expect(JSON.stringify(parts)).not.toContain('TOPSECRET');
  });

  it('reads the key from the named variable', () => {
    expect(E.isRight(build({ experts: [{ ...local, apiKeyEnv: 'MY_KEY' }] }, { MY_KEY: SECRET }))).toBe(true);
  });

  it('builds an aggregator fusion from its expert and keeps that expert off the panel', () => {
    const parts = built({ experts: [sim('a'), sim('b'), sim('judge')], fusion: { type: 'aggregator', expert: 'judge' } });
    expect(parts.experts.map((e) => e.id)).toEqual(['a', 'b']);
    expect(parts.fusion).toEqual(expect.objectContaining({ id: 'aggregator:judge' }));
  });

  it('passes a built-in fusion name through', () => {
    expect(built({ experts: [sim('a')], fusion: 'sections' }).fusion).toBe('sections');
  });

  it('builds an intent router: each intent its experts and fusion, the fallback for the rest', () => {
    const parts = built({
      experts: [sim('a'), sim('b'), sim('c'), sim('judge')],
      router: {
        type: 'intent',
        routes: { code: { experts: ['b', 'a'], fusion: 'first' }, math: { experts: ['c'], fusion: { type: 'aggregator', expert: 'judge' } } },
        fallback: { experts: ['a'] },
      },
    });
    expect(parts.experts.map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(route(parts, 'Fix this TypeError in my JavaScript function')).toEqual({ intent: 'code', expertIds: ['b', 'a'], fusion: expect.objectContaining({ id: 'first' }) });
    expect(route(parts, 'Solve the equation 2x + 3 = 7')).toEqual({ intent: 'math', expertIds: ['c'], fusion: expect.objectContaining({ id: 'aggregator:judge' }) });
    expect(route(parts, 'Write a poem about the sea')).toEqual({ intent: 'creative', expertIds: ['a'] });
  });

  it('leaves the default router to the plugin', () => {
    expect(built({ experts: [sim('a')], router: { type: 'default' } }).router).toBeUndefined();
  });

  it('resolves a sqlite path against the config file folder, and the default one against the working folder', () => {
    expect(built({ experts: [sim('a')], cache: { type: 'sqlite', path: 'answers.sqlite' } }).cache).toEqual({ type: 'sqlite', path: '/etc/dialogue/answers.sqlite' });
    expect(built({ experts: [sim('a')], cache: { type: 'sqlite', path: '/var/cache/a.sqlite' } }).cache).toEqual({ type: 'sqlite', path: '/var/cache/a.sqlite' });
    expect(built({ experts: [sim('a')], cache: { type: 'sqlite' } }).cache).toEqual({ type: 'sqlite', path: '/home/me/project/dialogue-cache.sqlite' });
    expect(built({ experts: [sim('a')], cache: { type: 'memory' } }).cache).toEqual({ type: 'memory' });
    expect(built({ experts: [sim('a')], cache: false }).cache).toBe(false);
  });

  it('passes retry, timeouts, limits and breaker through', () => {
    const numbers = { retry: { maxRetries: 0 }, timeouts: { totalMs: 1000 }, limits: { maxConcurrent: 2 }, breaker: { cooldownMs: 5 } };
    expect(built({ experts: [sim('a')], ...numbers })).toEqual(expect.objectContaining(numbers));
  });
});
