import { cacheKey, hashTaskParams } from '../../src/strategies/cache-key';
import type { KeyPlan } from '../../src/plan';

const plan = (overrides: { tasks?: KeyPlan['tasks']; fusion?: Partial<KeyPlan['fusion']> } = {}): KeyPlan => ({
  tasks: overrides.tasks ?? [
    { expertId: 'a', model: 'gpt-x', version: '1', params: { temperature: 0.2, top_p: 1 } },
    { expertId: 'b', model: 'llama', version: '3', params: { max_tokens: 100 } },
  ],
  fusion: { id: 'best', version: '1', ...overrides.fusion },
});
const request = { prompt: 'What is a monad?', scope: 'tenant-1' };
const versions = { fusion: '1', guard: 'g1' };
const base = cacheKey(request, plan(), versions);

describe('cacheKey', () => {
  it('is a SHA-256 hex digest', () => {
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is stable under object key order, Unicode normalization and surrounding whitespace', () => {
    const reordered = plan({
      tasks: [
        { version: '1', params: { top_p: 1, temperature: 0.2 }, model: 'gpt-x', expertId: 'a' },
        { params: { max_tokens: 100 }, expertId: 'b', version: '3', model: 'llama' },
      ],
    });
    expect(cacheKey({ scope: 'tenant-1', prompt: '  What is a monad?\n' }, reordered, { guard: 'g1', fusion: '1' })).toBe(base);
    const composed = cacheKey({ prompt: 'caf\u00e9' }, plan(), versions);
    expect(cacheKey({ prompt: 'cafe\u0301' }, plan(), versions)).toBe(composed);
  });

  it('uses a precomputed params hash exactly like the params themselves', () => {
    const hashed = plan({
      tasks: [
        { expertId: 'a', model: 'gpt-x', version: '1', paramsHash: hashTaskParams({ temperature: 0.2, top_p: 1 }) },
        { expertId: 'b', model: 'llama', version: '3', paramsHash: hashTaskParams({ max_tokens: 100 }) },
      ],
    });
    expect(cacheKey(request, hashed, versions)).toBe(base);
  });

  const [first, second] = plan().tasks;
  it.each([
    ['the prompt', cacheKey({ ...request, prompt: 'What is a functor?' }, plan(), versions)],
    ['the scope', cacheKey({ ...request, scope: 'tenant-2' }, plan(), versions)],
    ['no scope', cacheKey({ prompt: request.prompt }, plan(), versions)],
    ['an expert id', cacheKey(request, plan({ tasks: [{ ...first, expertId: 'a2' }, second] }), versions)],
    ['a model', cacheKey(request, plan({ tasks: [{ ...first, model: 'gpt-y' }, second] }), versions)],
    ['a version', cacheKey(request, plan({ tasks: [{ ...first, version: '2' }, second] }), versions)],
    ['a param', cacheKey(request, plan({ tasks: [{ ...first, params: { temperature: 0.3, top_p: 1 } }, second] }), versions)],
    ['a prompt template', cacheKey(request, plan({ tasks: [{ ...first, promptTemplate: 'Be brief: {prompt}' }, second] }), versions)],
    ['the fusion strategy', cacheKey(request, plan({ fusion: { id: 'first' } }), versions)],
    ['the fusion version', cacheKey(request, plan(), { ...versions, fusion: '2' })],
    ['the guard version', cacheKey(request, plan(), { ...versions, guard: 'g2' })],
    ['one task fewer', cacheKey(request, plan({ tasks: [first] }), versions)],
  ])('changes when %s changes', (_what, changed) => {
    expect(changed).not.toBe(base);
  });

  it('keeps task order for an order-sensitive fusion and ignores it for an order-insensitive one', () => {
    const swapped = (orderSensitive?: boolean) => plan({ tasks: [second, first], fusion: { orderSensitive } });
    const straight = (orderSensitive?: boolean) => plan({ fusion: { orderSensitive } });
    expect(cacheKey(request, swapped(true), versions)).not.toBe(cacheKey(request, straight(true), versions));
    expect(cacheKey(request, swapped(undefined), versions)).not.toBe(cacheKey(request, straight(undefined), versions));
    expect(cacheKey(request, swapped(false), versions)).toBe(cacheKey(request, straight(false), versions));
  });
});
