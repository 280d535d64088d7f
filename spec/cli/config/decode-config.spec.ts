import * as E from 'fp-ts/Either';
import { decodeConfig, decodeConfigText, parseJson } from '../../../src/cli/config/decode-config';
import type { DialogueConfig } from '../../../src/cli/config/schema';

const SECRET = 'sk-proj-TOPSECRET0123456789';

const valid = (value: unknown): DialogueConfig => {
  const decoded = decodeConfig(value);
  if (E.isLeft(decoded)) throw new Error(`expected a valid config, got: ${decoded.left.join('; ')}`);
  return decoded.right;
};

const problems = (value: unknown): readonly string[] => {
  const decoded = decodeConfig(value);
  if (E.isRight(decoded)) throw new Error('expected problems, got a valid config');
  return decoded.left;
};

const openai = { provider: 'openai-compatible', baseURL: 'https://api.openai.com/v1', model: 'gpt-4o-mini' };
const sim = (id: string) => ({ provider: 'simulated', id });

describe('decodeConfig', () => {
  it('accepts a minimal openai-compatible expert', () => {
    expect(valid({ experts: [openai] })).toEqual({ experts: [openai] });
  });

  it('accepts an openai-compatible expert with every field', () => {
    const expert = {
      ...openai, id: 'gpt', version: '2024-07', params: { temperature: 0.2, max_tokens: 500, stream: true },
      headers: { 'OpenAI-Organization': 'org-1' }, apiKeyEnv: 'OPENAI_API_KEY',
    };
    expect(valid({ experts: [expert] })).toEqual({ experts: [expert] });
  });

  it('accepts simulated experts, with and without answer and delays', () => {
    const experts = [sim('a'), { ...sim('b'), answer: 'Hello.', firstTokenDelayMs: 100, tokenDelayMs: 0 }];
    expect(valid({ experts }).experts).toEqual(experts);
  });

  it('accepts every fusion: the built-in names and an aggregator', () => {
    for (const fusion of ['best', 'first', 'sections']) expect(valid({ experts: [sim('a')], fusion }).fusion).toBe(fusion);
    const aggregated = { experts: [sim('a'), sim('judge')], fusion: { type: 'aggregator', expert: 'judge' } };
    expect(valid(aggregated)).toEqual(aggregated);
  });

  it('accepts both routers', () => {
    expect(valid({ experts: [sim('a')], router: { type: 'default' } }).router).toEqual({ type: 'default' });
    const router = {
      type: 'intent',
      routes: { code: { experts: ['b', 'a'], fusion: 'first' }, math: { experts: ['a'], fusion: { type: 'aggregator', expert: 'judge' } } },
      fallback: { fusion: 'sections' },
    };
    expect(valid({ experts: [sim('a'), sim('b'), sim('judge')], router }).router).toEqual(router);
    expect(valid({ experts: [sim('a')], router: { type: 'intent', routes: {}, fallback: { experts: ['a'] } } }).router?.type).toBe('intent');
  });

  it('accepts every cache', () => {
    for (const cache of [{ type: 'sqlite' }, { type: 'sqlite', path: 'answers.sqlite' }, { type: 'memory' }, false]) {
      expect(valid({ experts: [sim('a')], cache }).cache).toEqual(cache);
    }
  });

  it('accepts retry, timeouts, limits and breaker', () => {
    const numbers = {
      retry: { maxRetries: 0, baseDelayMs: 100, maxDelayMs: 2000 },
      timeouts: { firstTokenMs: 5000, idleMs: 3000, totalMs: 60000, cacheMs: 50 },
      limits: { maxPromptChars: 8000, maxConcurrent: 4, maxQueued: 0, shedExpertsAbove: 2 },
      breaker: { failureThreshold: 3, cooldownMs: 10000 },
    };
    expect(valid({ experts: [sim('a')], ...numbers })).toEqual({ experts: [sim('a')], ...numbers });
  });

  it('reports every problem at once, each with its path, in the order of the file', () => {
    expect(problems({
      experts: [
        { ...openai, baseURL: 'ftp://example.com', model: '' },
        { provider: 'simulated', answer: 7, tokenDelayMs: -1 },
        { provider: 'anthropic', id: 'c' },
        { id: 'd' },
        'e',
      ],
      router: { type: 'intent', routes: { coding: { experts: [] }, code: { experts: ['a', 3], fusion: 'vote' } }, fallback: { expert: ['a'] } },
      fusion: { type: 'aggregator' },
      cache: { type: 'redis' },
      retry: { maxRetries: 1.5, extra: true },
      timeouts: { idleMs: 0 },
      limits: { maxConcurrent: 0, maxQueued: -1 },
      breaker: 'yes',
      colour: true,
    })).toEqual([
      'experts[0].baseURL must be an http(s) URL',
      'experts[0].model must be a non-empty string',
      'experts[1].answer must be a non-empty string',
      'experts[1].tokenDelayMs must be a number >= 0',
      'experts[1].id is required',
      'experts[2].provider must be "openai-compatible" or "simulated"',
      'experts[3].provider is required ("openai-compatible" or "simulated")',
      'experts[4] must be an object',
      'router.routes.coding is not an intent (use code, math, creative, factual, chat)',
      'router.routes.coding.experts must be a non-empty array',
      'router.routes.code.experts[1] must be a non-empty string',
      'router.routes.code.fusion must be "best", "first", "sections" or { "type": "aggregator", "expert": "<expert id>" }',
      'router.fallback.expert is not a known key (known: experts, fusion)',
      'fusion.expert is required',
      'cache.type must be "sqlite" or "memory"',
      'retry.maxRetries must be a whole number >= 0',
      'retry.extra is not a known key (known: maxRetries, baseDelayMs, maxDelayMs)',
      'timeouts.idleMs must be a number >= 1',
      'limits.maxConcurrent must be a whole number >= 1',
      'limits.maxQueued must be a whole number >= 0',
      'breaker must be an object',
      'colour is not a known key (known: experts, router, fusion, cache, retry, timeouts, limits, breaker)',
    ]);
  });

  it('reports a root that is not an object, a missing or empty experts list, and bad section types', () => {
    expect(problems([])).toEqual(['the config must be an object']);
    expect(problems({})).toEqual(['experts is required']);
    expect(problems({ experts: [], router: { type: 'smart' }, cache: true, fusion: 3 })).toEqual([
      'experts must be a non-empty array',
      'router.type must be "default" or "intent"',
      'cache must be { "type": "sqlite", "path"?: "<file>" }, { "type": "memory" } or false',
      'fusion must be "best", "first", "sections" or { "type": "aggregator", "expert": "<expert id>" }',
    ]);
  });

  it('checks expert ids: unique (an omitted id is the model), not reserved', () => {
    expect(problems({ experts: [openai, { ...openai, baseURL: 'http://localhost:11434/v1' }, sim('fusion'), { ...openai, model: 'cache' }, sim('a'), sim('a')] })).toEqual([
      'experts[2].id must not be "fusion" or "cache" (reserved)',
    ]);
    expect(problems({ experts: [openai, { ...openai, baseURL: 'http://localhost:11434/v1' }, { ...openai, model: 'cache' }, sim('a'), sim('a')] })).toEqual([
      'experts[1].model (the id by default) is the same as the id of experts[0]: ids must be unique',
      'experts[2].model (the id by default) must not be "fusion" or "cache" (reserved): give the expert an id',
      'experts[4].id is the same as the id of experts[3]: ids must be unique',
    ]);
  });

  it('checks that routes and aggregators name declared experts, and keeps aggregators off the routes', () => {
    expect(problems({
      experts: [sim('a'), sim('judge')],
      fusion: { type: 'aggregator', expert: 'nobody' },
      router: {
        type: 'intent',
        routes: { code: { experts: ['a', 'ghost', 'a'] }, math: { experts: ['a'], fusion: { type: 'aggregator', expert: 'judge' } }, chat: { experts: ['judge'] } },
        fallback: { experts: ['nobody'] },
      },
    })).toEqual([
      'fusion.expert is not the id of an expert in experts',
      'router.routes.code.experts[1] is not the id of an expert in experts',
      'router.routes.code.experts[2] repeats an expert of the same route',
      'router.routes.chat.experts[0] is an aggregator, which writes the final answer and is not asked as an expert',
      'router.fallback.experts[0] is not the id of an expert in experts',
    ]);
    expect(problems({ experts: [sim('judge')], fusion: { type: 'aggregator', expert: 'judge' } }))
      .toEqual(['experts must declare at least one expert besides the aggregator']);
  });

  it('refuses keys in the file and never quotes one in a problem', () => {
    const found = problems({
      experts: [
        { ...openai, apiKey: SECRET, headers: { Authorization: `Bearer ${SECRET}`, 'api-key': SECRET, 'X-Custom': 42 } },
        { ...openai, id: 'b', baseURL: `https://user:${SECRET}@api.example.com/v1`, apiKeyEnv: SECRET, params: { messages: [SECRET], stream: SECRET } },
        { ...openai, id: 'c', baseURL: SECRET, model: 7, key: SECRET },
        { provider: SECRET, id: SECRET },
      ],
      fusion: SECRET,
      cache: { type: SECRET, path: 1 },
      router: { type: 'intent', routes: { code: { experts: [SECRET] } } },
    });
    expect(found).toEqual([
      'experts[0].apiKey is not allowed: name the environment variable that holds the key in apiKeyEnv; the key itself never goes in the file',
      'experts[0].headers.Authorization is not allowed: name the environment variable that holds the key in apiKeyEnv; the key itself never goes in the file',
      'experts[0].headers["api-key"] is not allowed: name the environment variable that holds the key in apiKeyEnv; the key itself never goes in the file',
      'experts[0].headers["X-Custom"] must be a string without line breaks',
      'experts[1].baseURL must not contain a user name or password: name the environment variable that holds the key in apiKeyEnv; the key itself never goes in the file',
      'experts[1].apiKeyEnv must be the name of an environment variable (A-Z, 0-9 and _, e.g. "OPENAI_API_KEY"), not the key itself',
      'experts[1].params.stream must be true or absent: experts stream',
      'experts[1].params.messages is not allowed: the messages come from the prompt',
      'experts[2].baseURL must be an http(s) URL',
      'experts[2].model must be a non-empty string',
      'experts[2].key is not allowed: name the environment variable that holds the key in apiKeyEnv; the key itself never goes in the file',
      'experts[3].provider must be "openai-compatible" or "simulated"',
      'fusion must be "best", "first", "sections" or { "type": "aggregator", "expert": "<expert id>" }',
      'cache.type must be "sqlite" or "memory"',
    ]);
    expect(found.join('\n')).not.toContain('TOPSECRET');
    const referenced = problems({ experts: [sim('a')], router: { type: 'intent', routes: { code: { experts: [SECRET] } } }, fusion: { type: 'aggregator', expert: SECRET } });
    expect(referenced.join('\n')).not.toContain('TOPSECRET');
  });

  it('names odd keys safely: quoted, printable, at most 40 characters', () => {
    expect(problems({ experts: [sim('a')], 'my key\u0007': 1, ['x'.repeat(60)]: 2 })).toEqual([
      '["my key?"] is not a known key (known: experts, router, fusion, cache, retry, timeouts, limits, breaker)',
      `["${'x'.repeat(40)}"] is not a known key (known: experts, router, fusion, cache, retry, timeouts, limits, breaker)`,
    ]);
  });
});

describe('parseJson', () => {
  it('parses JSON, a byte-order mark allowed', () => {
    expect(parseJson('\uFEFF{"a": 1}')).toEqual(E.right({ a: 1 }));
  });

  it('reports a syntax error by line and column, without quoting the text around it', () => {
    expect(parseJson(`{\n  "experts": [],\n  "key": "${SECRET}",\n}`)).toEqual(E.left(['the config is not valid JSON (at line 4, column 1)']));
    expect(parseJson(`{"key": "${SECRET}"`)).toEqual(E.left(['the config is not valid JSON (at line 1, column 38)']));
    expect(parseJson('{"experts": ')).toEqual(E.left(['the config is not valid JSON (it ends too early)']));
    expect(parseJson('  ')).toEqual(E.left(['the config is not valid JSON (the file is empty)']));
  });
});

describe('decodeConfigText', () => {
  it('parses then decodes', () => {
    expect(decodeConfigText('{"experts": [{"provider": "simulated", "id": "a"}]}')).toEqual(E.right({ experts: [sim('a')] }));
    expect(decodeConfigText('{"experts": 1}')).toEqual(E.left(['experts must be a non-empty array']));
  });
});
