import * as E from 'fp-ts/Either';
import type { ChatMessage } from '../../src/conversation';
import { validateRequest, type ValidRequest } from '../../src/strategies/validate-request';
import { limits } from '../support/operator-fixtures';

/** Validates with the fixtures' limits (100 code points, 20 messages, scope of 32). */
const check = (input: unknown, options?: unknown) => validateRequest(input, options, 'fallback-1', limits);

/** The problems of an invalid request (fails the test when it was valid). */
const problems = (input: unknown, options?: unknown): readonly string[] => {
  const checked = check(input, options);
  if (E.isRight(checked)) throw new Error(`expected problems, got ${JSON.stringify(checked.right)}`);
  return checked.left;
};

/** The request of a valid one (fails the test when it was invalid). */
const accepted = (input: unknown, options?: unknown): ValidRequest => {
  const checked = check(input, options);
  if (E.isLeft(checked)) throw new Error(`expected a request, got ${checked.left.join('; ')}`);
  return checked.right;
};

const system = (content: string): ChatMessage => ({ role: 'system', content });
const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });
const EMOJI = '\u{1F600}'; // one code point, two UTF-16 units
const PARAMS_KNOWN = 'known: maxTokens, temperature, topP, stop, seed';

describe('validateRequest', () => {
  describe('a conversation', () => {
    it('accepts system messages first and a user message last: the messages as given, the last one as the prompt', () => {
      const messages = [system('Be brief.'), system('Answer in French.'), user('What is a tree?'), assistant('Un arbre.'), user('And a forest?')];
      expect(accepted(messages)).toEqual({ requestId: 'fallback-1', prompt: 'And a forest?', messages });
    });

    it('accepts a single user message', () => {
      expect(accepted([user('Hi')])).toEqual({ requestId: 'fallback-1', prompt: 'Hi', messages: [user('Hi')] });
    });

    it('copies the messages: changing the caller\'s array or objects afterwards changes nothing', () => {
      const first = { role: 'user' as const, content: 'Hi' };
      const messages = [first];
      const request = accepted(messages);
      first.content = 'Changed';
      messages.push({ role: 'user', content: 'More' });
      expect(request.messages).toEqual([user('Hi')]);
    });

    it('lists every problem at once', () => {
      const messages = [
        user('Hi'),
        { role: 'robot', content: 'Beep' },
        { role: 'user', content: 42 },
        assistant('   '),
        system('Too late'),
        { role: 'user', content: 'Hello', name: 'bob' },
        { role: 'assistant', content: 'Bell\u0007' },
      ];
      expect(problems(messages)).toEqual([
        'messages[1].role must be \'system\', \'user\' or \'assistant\' (got "robot")',
        'messages[2].content must be a string (got number)',
        'messages[3].content must not be empty or whitespace only',
        'messages[5] has an unknown field "name" (known: role, content)',
        'messages[6].content must not contain control characters other than tab, newline and carriage return',
        'messages[4]: system messages must come before the others',
        'the last message must be from the user (messages[6] is \'assistant\')',
      ]);
    });

    it('lists the conversation\'s problems together with the options\' and the params\'', () => {
      expect(problems([assistant('Hello')], { scope: 7, params: { temperature: 3 }, colour: 'red' })).toEqual([
        'the last message must be from the user (messages[0] is \'assistant\')',
        'scope must be a string (got number)',
        'params.temperature must be a number from 0 to 2 (got 3)',
        'unknown option "colour" (known: requestId, signal, scope, params, tenant, traceContext)',
      ]);
    });

    it('refuses a message that is not an object, and a role or content of the wrong kind', () => {
      expect(problems(['Hi', null, { content: 'x' }, user('ok')])).toEqual([
        'messages[0] must be an object { role, content } (got string)',
        'messages[1] must be an object { role, content } (got null)',
        'messages[2].role must be \'system\', \'user\' or \'assistant\' (got undefined)',
      ]);
    });

    it('refuses an empty conversation', () => {
      expect(problems([])).toEqual(['messages must not be empty']);
    });

    it('refuses more than maxMessages messages', () => {
      const many = Array.from({ length: limits.maxMessages + 1 }, (_, i) => user(`m${i}`));
      expect(problems(many, { params: { maxTokens: 0 } })).toEqual([
        `messages must be at most ${limits.maxMessages}`,
        'params.maxTokens must be an integer from 1 to 1000000 (got 0)',
      ]);
      expect(accepted(many.slice(1)).messages).toHaveLength(limits.maxMessages);
    });

    it('limits the total size of all the messages in code points, not UTF-16 units', () => {
      // 60 emoji (120 UTF-16 units) and 40 letters: 100 code points in all, each message well under the limit.
      const atLimit = [system(EMOJI.repeat(30)), user(EMOJI.repeat(30)), assistant('x'.repeat(20)), user('y'.repeat(20))];
      expect(accepted(atLimit).messages).toEqual(atLimit);
      const over = [...atLimit.slice(0, 3), user('y'.repeat(21))];
      expect(problems(over)).toEqual([`messages must be at most ${limits.maxPromptChars} characters (code points) in all`]);
    });
  });

  describe('a string prompt', () => {
    it('is one user message', () => {
      expect(accepted('Hello there')).toEqual({ requestId: 'fallback-1', prompt: 'Hello there', messages: [user('Hello there')] });
    });

    it('is limited in code points', () => {
      expect(accepted(EMOJI.repeat(limits.maxPromptChars)).prompt).toBe(EMOJI.repeat(limits.maxPromptChars));
      expect(problems(EMOJI.repeat(limits.maxPromptChars + 1))).toEqual([`prompt must be at most ${limits.maxPromptChars} characters (code points)`]);
    });

    it('refuses anything that is neither a string nor an array', () => {
      expect(problems(42)).toEqual(['prompt must be a string or an array of chat messages (got number)']);
      expect(problems({ role: 'user', content: 'Hi' })).toEqual(['prompt must be a string or an array of chat messages (got object)']);
    });
  });

  describe('params', () => {
    it('accepts every param at its limits and hands them on', () => {
      const params = { maxTokens: 1, temperature: 2, topP: 0, stop: ['a', 'b', 'c', 'd'], seed: -5 };
      expect(accepted('Hi', { params })).toEqual({ requestId: 'fallback-1', prompt: 'Hi', messages: [user('Hi')], params });
      expect(accepted('Hi', { params: { maxTokens: 1_000_000, temperature: 0, topP: 1 } }).params).toEqual({ maxTokens: 1_000_000, temperature: 0, topP: 1 });
    });

    it('hands on no params for an empty object, and drops params given as undefined', () => {
      expect(accepted('Hi', { params: {} })).not.toHaveProperty('params');
      expect(accepted('Hi', { params: { maxTokens: undefined, seed: 3 } }).params).toEqual({ seed: 3 });
    });

    it('copies the stop sequences', () => {
      const stop = ['.'];
      const request = accepted('Hi', { params: { stop } });
      stop.push('!');
      expect(request.params).toEqual({ stop: ['.'] });
    });

    it.each([
      ['maxTokens 0', { maxTokens: 0 }, 'params.maxTokens must be an integer from 1 to 1000000 (got 0)'],
      ['maxTokens 1.5', { maxTokens: 1.5 }, 'params.maxTokens must be an integer from 1 to 1000000 (got 1.5)'],
      ['maxTokens as a string', { maxTokens: '10' }, 'params.maxTokens must be an integer from 1 to 1000000 (got string)'],
      ['temperature 3', { temperature: 3 }, 'params.temperature must be a number from 0 to 2 (got 3)'],
      ['temperature NaN', { temperature: Number.NaN }, 'params.temperature must be a number from 0 to 2 (got NaN)'],
      ['topP -1', { topP: -1 }, 'params.topP must be a number from 0 to 1 (got -1)'],
      ['5 stop sequences', { stop: ['a', 'b', 'c', 'd', 'e'] }, 'params.stop must be an array of at most 4 non-empty strings of at most 256 characters'],
      ['an empty stop sequence', { stop: [''] }, 'params.stop must be an array of at most 4 non-empty strings of at most 256 characters'],
      ['stop as a string', { stop: '.' }, 'params.stop must be an array of at most 4 non-empty strings of at most 256 characters'],
      ['seed 1.5', { seed: 1.5 }, 'params.seed must be an integer from -9007199254740991 to 9007199254740991 (got 1.5)'],
      ['an unknown key', { top_k: 5 }, `unknown param "top_k" (${PARAMS_KNOWN})`],
    ])('reports %s', (_what, params, problem) => {
      expect(problems('Hi', { params })).toEqual([problem]);
    });

    it('reports every bad param at once', () => {
      expect(problems('Hi', { params: { maxTokens: 0, temperature: 3, topP: -1, stop: [''], seed: 1.5, max_tokens: 5 } })).toEqual([
        `unknown param "max_tokens" (${PARAMS_KNOWN})`,
        'params.maxTokens must be an integer from 1 to 1000000 (got 0)',
        'params.temperature must be a number from 0 to 2 (got 3)',
        'params.topP must be a number from 0 to 1 (got -1)',
        'params.seed must be an integer from -9007199254740991 to 9007199254740991 (got 1.5)',
        'params.stop must be an array of at most 4 non-empty strings of at most 256 characters',
      ]);
    });

    it('refuses params that are not an object', () => {
      expect(problems('Hi', { params: [1] })).toEqual(['params must be an object (got array)']);
      expect(problems('Hi', { params: null })).toEqual(['params must be an object (got null)']);
    });
  });

  describe('options', () => {
    it('refuses an unknown option, naming the known ones', () => {
      expect(problems('Hi', { colour: 'red', params: { seed: 1 } })).toEqual(['unknown option "colour" (known: requestId, signal, scope, params, tenant, traceContext)']);
    });

    it('takes the request id, the scope and the signal it is given', () => {
      const signal = new AbortController().signal;
      expect(accepted('Hi', { requestId: 'mine-7', scope: 'tenant-1', signal })).toEqual({
        requestId: 'mine-7', prompt: 'Hi', messages: [user('Hi')], scope: 'tenant-1', signal,
      });
    });
  });
});
