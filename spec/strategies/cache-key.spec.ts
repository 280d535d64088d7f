import fc from 'fast-check';
import type { ChatMessage, GenerationParams } from '../../src/conversation';
import type { KeyPlan } from '../../src/plan';
import { cacheKey, cacheKeyReference, hashTaskParams, type KeyRequest } from '../../src/strategies/cache-key';

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

  describe('over a conversation', () => {
    const system: ChatMessage = { role: 'system', content: 'You are terse.' };
    const user = (content: string): ChatMessage => ({ role: 'user', content });
    const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });
    const conversation: readonly ChatMessage[] = [system, user('What is a monad?'), assistant('A monoid in endofunctors.'), user('Explain simpler.')];
    const keyOf = (messages: readonly ChatMessage[], params?: GenerationParams): string =>
      cacheKey({ messages, ...(params === undefined ? {} : { params }), scope: 'tenant-1' }, plan(), versions);
    const turn = keyOf(conversation);

    it.each([
      ['the same last question after another history', [system, user('What is a functor?'), assistant('A mappable.'), user('Explain simpler.')]],
      ['the same last question with no history', [system, user('Explain simpler.')]],
      ['another system message', [{ role: 'system', content: 'You are verbose.' }, ...conversation.slice(1)]],
      ['no system message', conversation.slice(1)],
      ['an earlier message under another role', [system, user('What is a monad?'), user('A monoid in endofunctors.'), user('Explain simpler.')]],
      ['a system message given as a user message', [user('You are terse.'), ...conversation.slice(1)]],
    ] as [string, ChatMessage[]][])('changes with %s', (_what, messages) => {
      expect(keyOf(messages)).not.toBe(turn);
    });

    it.each([
      ['maxTokens', { maxTokens: 100 }, { maxTokens: 101 }],
      ['stop', { stop: ['\n'] }, { stop: ['.'] }],
      ['the order of stop sequences', { stop: ['a', 'b'] }, { stop: ['b', 'a'] }],
      ['temperature', { temperature: 0 }, { temperature: 0.5 }],
      ['topP', { topP: 1 }, { topP: 0.9 }],
      ['seed', { seed: 1 }, { seed: 2 }],
      ['params given or not', {}, undefined],
    ] as [string, GenerationParams, GenerationParams | undefined][])('changes with %s', (_what, one, other) => {
      expect(keyOf(conversation, one)).not.toBe(keyOf(conversation, other));
      expect(keyOf(conversation, one)).not.toBe(turn);
    });

    it('ignores the order of the params\' keys', () => {
      expect(keyOf(conversation, { maxTokens: 5, stop: ['.'], temperature: 0.1 })).toBe(keyOf(conversation, { temperature: 0.1, stop: ['.'], maxTokens: 5 }));
    });

    it('is the same when any message differs only in surrounding whitespace or Unicode normalization', () => {
      const spaced = [{ role: 'system', content: '\n You are terse. ' }, user('What is a monad?\t'), assistant('  A monoid in endofunctors.'), user('Explain simpler.\n')] as const;
      expect(keyOf(spaced)).toBe(turn);
      const composed = [system, user('Caf\u00e9 au lait?'), assistant('\u00c5ngstr\u00f6m.'), user('Explain simpler.')];
      const decomposed = [system, user('Cafe\u0301 au lait?'), assistant('A\u030angstro\u0308m.'), user('Explain simpler.')];
      expect(keyOf(decomposed)).toBe(keyOf(composed));
      expect(keyOf(composed)).not.toBe(turn);
    });

    it('keeps whitespace inside a message: only the ends are trimmed', () => {
      expect(keyOf([user('a  b')])).not.toBe(keyOf([user('a b')]));
    });

    it('gives a string prompt the key of a conversation of that one user message', () => {
      expect(cacheKey({ prompt: 'What is a monad?', scope: 'tenant-1' }, plan(), versions))
        .toBe(cacheKey({ messages: [user('What is a monad?')], scope: 'tenant-1' }, plan(), versions));
      expect(cacheKey({ prompt: 'What is a monad?', scope: 'tenant-1' }, plan(), versions)).toBe(base);
    });

    it('does not mix up the serialized plan parts of two version pairs that join to the same text', () => {
      const shared = plan();
      const one = { fusion: 'a\u0000b', guard: 'c' };
      const other = { fusion: 'a', guard: 'b\u0000c' };
      expect(cacheKey(request, shared, one)).toBe(cacheKeyReference(request, shared, one));
      expect(cacheKey(request, shared, other)).toBe(cacheKeyReference(request, shared, other));
      expect(cacheKey(request, shared, one)).not.toBe(cacheKey(request, shared, other));
    });
  });

  describe('against the reference (one canonical JSON of the whole payload)', () => {
    /** Text with combining marks, precomposed letters, astral characters, lone surrogates and surrounding whitespace. */
    const text = fc.array(fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 3 }),
      fc.constantFrom('e\u0301', '\u00e9', 'A\u030a', '\u00c5', 'n\u0303\u0323', ' ', '\n', '\t', '"', '\\', '\u2028', '\ud83d\ude00', '\ud800'),
    ), { maxLength: 6 }).map((parts) => parts.join(''));
    const message: fc.Arbitrary<ChatMessage> = fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: text });
    const params: fc.Arbitrary<GenerationParams> = fc.record({
      maxTokens: fc.integer({ min: 1, max: 1_000_000 }),
      temperature: fc.double({ min: 0, max: 2, noNaN: true }),
      topP: fc.double({ min: 0, max: 1, noNaN: true }),
      stop: fc.array(text, { maxLength: 4 }),
      seed: fc.integer(),
    }, { requiredKeys: [] });
    const keyRequest: fc.Arbitrary<KeyRequest> = fc.record({
      prompt: text, messages: fc.array(message, { minLength: 1, maxLength: 5 }), params, scope: text,
    }, { requiredKeys: [] });
    const keyPlan: fc.Arbitrary<KeyPlan> = fc.record({
      // Expert ids are unique within a plan (a registry has one expert per id).
      tasks: fc.uniqueArray(fc.record({
        expertId: fc.string({ maxLength: 4 }), model: fc.string({ maxLength: 4 }), version: fc.string({ maxLength: 2 }),
        params: fc.option(fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.boolean())), { nil: undefined }),
        promptTemplate: fc.option(text, { nil: undefined }),
      }), { maxLength: 4, selector: (task) => task.expertId }),
      fusion: fc.record({ id: fc.string({ maxLength: 4 }), version: fc.string({ maxLength: 2 }), orderSensitive: fc.constantFrom(true, false, undefined) }),
    });
    const versionPair = fc.record({ fusion: fc.string({ unit: 'binary', maxLength: 3 }), guard: fc.string({ unit: 'binary', maxLength: 3 }) });

    it('builds the same key for any request, plan and versions, also with the plan\'s parts already serialized', () => {
      fc.assert(fc.property(keyRequest, keyRequest, keyPlan, versionPair, versionPair, (one, other, shared, v1, v2) => {
        expect(cacheKey(one, shared, v1)).toBe(cacheKeyReference(one, shared, v1));
        // The same plan object again: its serialized parts are reused, for these and for other versions.
        expect(cacheKey(other, shared, v1)).toBe(cacheKeyReference(other, shared, v1));
        expect(cacheKey(one, shared, v2)).toBe(cacheKeyReference(one, shared, v2));
      }), { numRuns: 300 });
    });

    it('ignores the task order of an order-insensitive fusion only', () => {
      fc.assert(fc.property(keyRequest, keyPlan, versionPair, (one, shared, v) => {
        const reversed: KeyPlan = { ...shared, tasks: [...shared.tasks].reverse() };
        const insensitive = (p: KeyPlan): KeyPlan => ({ ...p, fusion: { ...p.fusion, orderSensitive: false } });
        expect(cacheKey(one, insensitive(reversed), v)).toBe(cacheKey(one, insensitive(shared), v));
        expect(cacheKey(one, reversed, v)).toBe(cacheKeyReference(one, reversed, v));
      }), { numRuns: 100 });
    });
  });
});
