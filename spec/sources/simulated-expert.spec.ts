import { Subscriber, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ExpertError } from '../../src/errors';
import type { ExpertTask } from '../../src/ports';
import { simulatedExpert, type SimulatedExpert, type SimulatedExpertOptions, type SimulatedFault } from '../../src/sources/simulated-expert';

const task = (attempt = 1, prompt = 'How do binary trees balance?'): ExpertTask => ({ requestId: 'r1', prompt, messages: [{ role: 'user', content: prompt }], attempt });
const abc = { a: 'one', b: ' two', c: ' three' };
const conversationTask: ExpertTask = {
  requestId: 'r1', prompt: 'And in a heap?', attempt: 1,
  messages: [
    { role: 'system', content: 'Answer about data structures.' },
    { role: 'user', content: 'How do binary trees balance?' },
    { role: 'assistant', content: 'By rotations.' },
    { role: 'user', content: 'And in a heap?' },
  ],
};

/** Collects a zero-delay expert's tokens synchronously. */
const tokensOf = (expert: SimulatedExpert, t: ExpertTask = task()): string[] => {
  const out: string[] = [];
  expert.stream(t).subscribe((token) => out.push(token));
  return out;
};

/** Counts every `next` call the source makes, even after it unsubscribed itself on the first. */
class UnsubscribeOnFirst extends Subscriber<string> {
  nextCalls = 0;
  override next(value: string): void {
    this.nextCalls++;
    super.next(value);
    this.unsubscribe();
  }
}

describe('simulatedExpert', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits the first token after firstTokenDelayMs, then one every tokenDelayMs, completing with the last', () => {
    scheduler.run(({ expectObservable }) => {
      const expert = simulatedExpert({ id: 'x', answer: 'one two three', firstTokenDelayMs: 5, tokenDelayMs: 2 });
      expectObservable(expert.stream(task())).toBe('5ms a 1ms b 1ms (c|)', abc);
    });
  });

  it('emits every token at once when only the first token is delayed', () => {
    scheduler.run(({ expectObservable }) => {
      const expert = simulatedExpert({ id: 'x', answer: 'one two three', firstTokenDelayMs: 3 });
      expectObservable(expert.stream(task())).toBe('3ms (abc|)', abc);
    });
  });

  it('emits the first token on subscribe when only the later tokens are delayed', () => {
    scheduler.run(({ expectObservable }) => {
      const expert = simulatedExpert({ id: 'x', answer: 'one two three', tokenDelayMs: 2, scheduler });
      expectObservable(expert.stream(task())).toBe('a 1ms b 1ms (c|)', abc);
    });
  });

  it('emits synchronously, in the subscribe call, when both delays are zero', () => {
    const expert = simulatedExpert({ id: 'x', answer: 'one two three' });
    expect(tokensOf(expert)).toEqual(['one', ' two', ' three']);
    scheduler.run(({ expectObservable }) => {
      expectObservable(expert.stream(task())).toBe('(abc|)', abc);
    });
  });

  it('splits into words with their leading whitespace, dropping trailing whitespace', () => {
    const answer = '  Hello   big\nworld \t';
    const tokens = tokensOf(simulatedExpert({ id: 'x', answer }));
    expect(tokens).toEqual(['  Hello', '   big', '\nworld']);
    expect(tokens.join('')).toBe(answer.trimEnd());
  });

  it('completes without tokens when the answer is empty or blank', () => {
    scheduler.run(({ expectObservable }) => {
      expectObservable(simulatedExpert({ id: 'x', answer: '' }).stream(task())).toBe('|');
      expectObservable(simulatedExpert({ id: 'x', answer: ' \n', firstTokenDelayMs: 4 }).stream(task())).toBe('4ms |');
    });
  });

  it.each([
    ['unavailable', { status: 503, retriable: true, retryAfterMs: 100 }],
    ['rate-limited', { status: 429, retriable: true, retryAfterMs: 100 }],
    ['network', { status: undefined, failure: 'network', retriable: true, message: 'Connection reset' }],
    ['bad-request', { status: 400, failure: 'http', retriable: false }],
  ] as const)('fails with a %s ExpertError before the first token when afterTokens is omitted', (error, fields) => {
    scheduler.run(({ expectObservable }) => {
      const expert = simulatedExpert({ id: 'x', answer: 'one two', firstTokenDelayMs: 5, faults: [{ error, retryAfterMs: 100 }] });
      const expected = expect.objectContaining({ _tag: 'ExpertError', expertId: 'x', ...fields });
      expectObservable(expert.stream(task())).toBe('5ms #', undefined, expected);
    });
  });

  it('fails with a real ExpertError instance', () => {
    let caught: unknown;
    simulatedExpert({ id: 'x', faults: [{ error: 'unavailable' }] }).stream(task()).subscribe({ error: (e: unknown) => (caught = e) });
    expect(ExpertError.isInstance(caught)).toBe(true);
  });

  it('applies a fault only on its attempt', () => {
    scheduler.run(({ expectObservable }) => {
      const expert = simulatedExpert({ id: 'x', answer: 'one two three', faults: [{ attempt: 1, error: 'unavailable' }] });
      expectObservable(expert.stream(task(1))).toBe('#', undefined, expect.objectContaining({ status: 503 }));
      expectObservable(expert.stream(task(2))).toBe('(abc|)', abc);
    });
  });

  it('applies the first matching fault when several are given', () => {
    scheduler.run(({ expectObservable }) => {
      const faults = [{ attempt: 2, error: 'network' }, { error: 'rate-limited' }, { error: 'unavailable' }] as const;
      const expert = simulatedExpert({ id: 'x', answer: 'one', faults });
      expectObservable(expert.stream(task(1))).toBe('#', undefined, expect.objectContaining({ status: 429 }));
      expectObservable(expert.stream(task(2))).toBe('#', undefined, expect.objectContaining({ failure: 'network' }));
    });
  });

  it('fails mid-stream after N tokens, when the next token was due', () => {
    scheduler.run(({ expectObservable }) => {
      const expert = simulatedExpert({ id: 'x', answer: 'one two three', firstTokenDelayMs: 5, tokenDelayMs: 2, faults: [{ afterTokens: 2, error: 'unavailable' }] });
      expectObservable(expert.stream(task())).toBe('5ms a 1ms b 1ms #', abc, expect.objectContaining({ status: 503 }));
    });
  });

  it('fails after the last token instead of completing when afterTokens reaches the answer length', () => {
    scheduler.run(({ expectObservable }) => {
      const faults = [{ afterTokens: 9, error: 'network' }] as const;
      const timed = simulatedExpert({ id: 'x', answer: 'one two', firstTokenDelayMs: 5, tokenDelayMs: 2, faults });
      const sync = simulatedExpert({ id: 'x', answer: 'one two', faults });
      const network = expect.objectContaining({ _tag: 'ExpertError', failure: 'network' });
      expectObservable(timed.stream(task())).toBe('5ms a 1ms (b#)', abc, network);
      expectObservable(sync.stream(task())).toBe('(ab#)', abc, network);
    });
  });

  it('stalls after N tokens: never completes nor errors until unsubscribed, leaving nothing scheduled', () => {
    const expert = simulatedExpert({ id: 'x', answer: 'one two three', firstTokenDelayMs: 5, tokenDelayMs: 2, faults: [{ afterTokens: 1, error: 'stall' }] });
    scheduler.run(({ expectObservable, flush }) => {
      expectObservable(expert.stream(task()), '^ 1000ms !').toBe('5ms a', abc);
      flush();
      expect(expert.stats).toEqual({ started: 1, active: 0, completed: 0, failed: 0, cancelled: 1 });
    });
  });

  it('counts a completed and a failed subscription, leaving none active', () => {
    const expert = simulatedExpert({ id: 'x', answer: 'one two', tokenDelayMs: 3, faults: [{ attempt: 2, afterTokens: 1, error: 'unavailable' }] });
    scheduler.run(({ expectObservable, flush }) => {
      expectObservable(expert.stream(task(1))).toBe('a 2ms (b|)', abc);
      expectObservable(expert.stream(task(2))).toBe('a 2ms #', abc, expect.objectContaining({ status: 503 }));
      let midway = {};
      scheduler.schedule(() => (midway = { ...expert.stats }), 1);
      flush();
      expect(midway).toEqual({ started: 2, active: 2, completed: 0, failed: 0, cancelled: 0 });
      expect(expert.stats).toEqual({ started: 2, active: 0, completed: 1, failed: 1, cancelled: 0 });
    });
  });

  it('counts an unsubscribe between tokens as cancelled and emits nothing after it', () => {
    const expert = simulatedExpert({ id: 'x', answer: 'one two three', firstTokenDelayMs: 1, tokenDelayMs: 2 });
    scheduler.run(({ expectObservable, flush }) => {
      expectObservable(expert.stream(task()), '^ 3ms !').toBe('-a-b', abc);
      flush();
      expect(expert.stats).toEqual({ started: 1, active: 0, completed: 0, failed: 0, cancelled: 1 });
    });
  });

  it('stops at once when a token callback unsubscribes, with zero delays', () => {
    const expert = simulatedExpert({ id: 'x', answer: 'one two three four' });
    const subscriber = new UnsubscribeOnFirst();
    expert.stream(task()).subscribe(subscriber);
    expect(subscriber.nextCalls).toBe(1);
    expect(expert.stats).toEqual({ started: 1, active: 0, completed: 0, failed: 0, cancelled: 1 });
    const taken: string[] = [];
    expert.stream(task()).pipe(take(2)).subscribe((t) => taken.push(t));
    expect(taken).toEqual(['one', ' two']);
    expect(expert.stats).toMatchObject({ started: 2, active: 0, completed: 0, cancelled: 2 });
  });

  it('stops at once when a token callback unsubscribes, with delays', () => {
    const expert = simulatedExpert({ id: 'x', answer: 'one two three', firstTokenDelayMs: 2, tokenDelayMs: 2 });
    scheduler.run(({ expectObservable, flush }) => {
      expectObservable(expert.stream(task()).pipe(take(2))).toBe('2ms a 1ms (b|)', abc);
      flush();
      expect(expert.stats).toEqual({ started: 1, active: 0, completed: 0, failed: 0, cancelled: 1 });
    });
  });

  it('passes the prompt and the conversation to an answer function, on each subscribe', () => {
    const answer = jest.fn((prompt: string) => `echo: ${prompt}`);
    const expert = simulatedExpert({ id: 'x', answer });
    expect(answer).not.toHaveBeenCalled();
    expect(tokensOf(expert, task(1, 'hi there'))).toEqual(['echo:', ' hi', ' there']);
    expect(answer.mock.calls).toEqual([['hi there', [{ role: 'user', content: 'hi there' }]]]);
    expert.stream(conversationTask).subscribe();
    expect(answer.mock.calls[1]).toEqual(['And in a heap?', conversationTask.messages]);
  });

  it('answers the last user message of a conversation by default, whatever came before', () => {
    const expert = simulatedExpert({ id: 'alpha' });
    const alone = tokensOf(expert, task(1, 'And in a heap?')).join('');
    expect(tokensOf(expert, conversationTask).join('')).toBe(alone);
    expect(alone).toMatch(/heap/);
  });

  describe('with generation params', () => {
    const withParams = (params: ExpertTask['params']): ExpertTask => ({ ...task(), params });

    it('cuts the answer to maxTokens tokens, completing after the last one', () => {
      const expert = simulatedExpert({ id: 'x', answer: 'one two three four', firstTokenDelayMs: 5, tokenDelayMs: 2 });
      scheduler.run(({ expectObservable }) => {
        expectObservable(expert.stream(withParams({ maxTokens: 2 }))).toBe('5ms a 1ms (b|)', abc);
        expectObservable(expert.stream(withParams({ maxTokens: 4 }))).toBe('5ms a 1ms b 1ms c 1ms (d|)', { ...abc, d: ' four' });
        expectObservable(expert.stream(withParams({ maxTokens: 10 }))).toBe('5ms a 1ms b 1ms c 1ms (d|)', { ...abc, d: ' four' });
      });
      expect(expert.stats).toEqual({ started: 3, active: 0, completed: 3, failed: 0, cancelled: 0 });
    });

    it('ends the answer before the first of the stop sequences, also inside a word', () => {
      const expert = simulatedExpert({ id: 'x', answer: 'one two. three! four' });
      expect(tokensOf(expert, withParams({ stop: ['!', '.'] }))).toEqual(['one', ' two']);
      expect(tokensOf(expert, withParams({ stop: ['hre'] }))).toEqual(['one', ' two.', ' t']);
      expect(tokensOf(expert, withParams({ stop: ['?'] }))).toEqual(['one', ' two.', ' three!', ' four']);
      expect(tokensOf(expert, withParams({ stop: ['one'] }))).toEqual([]);
    });

    it('applies stop first, then maxTokens', () => {
      const expert = simulatedExpert({ id: 'x', answer: 'one two three. four five' });
      expect(tokensOf(expert, withParams({ stop: ['.'], maxTokens: 2 }))).toEqual(['one', ' two']);
      expect(tokensOf(expert, withParams({ stop: ['.'], maxTokens: 5 }))).toEqual(['one', ' two', ' three']);
    });

    it('honours them for an answer function and for the default answer too', () => {
      const echo = simulatedExpert({ id: 'x', answer: (prompt) => `You said: ${prompt}` });
      expect(tokensOf(echo, { ...conversationTask, params: { stop: [':'] } })).toEqual(['You', ' said']);
      const byDefault = simulatedExpert({ id: 'alpha' });
      const full = tokensOf(byDefault, task());
      expect(full.length).toBeGreaterThan(3);
      expect(tokensOf(byDefault, withParams({ maxTokens: 3 }))).toEqual(full.slice(0, 3));
    });
  });

  it('fails the subscription when the answer function throws', () => {
    const boom = new Error('boom');
    const expert = simulatedExpert({ id: 'x', answer: () => { throw boom; } });
    scheduler.run(({ expectObservable }) => {
      expectObservable(expert.stream(task())).toBe('#', undefined, boom);
    });
    expect(expert.stats).toEqual({ started: 1, active: 0, completed: 0, failed: 1, cancelled: 0 });
  });

  it('builds a deterministic default answer that mentions the prompt and differs between ids', () => {
    const prompt = 'Explain recursion in binary trees';
    const text = (id: string): string => tokensOf(simulatedExpert({ id }), task(1, prompt)).join('');
    expect(text('alpha')).toBe(text('alpha'));
    expect(text('alpha')).not.toBe(text('beta'));
    for (const id of ['alpha', 'beta']) {
      expect(text(id)).toMatch(/recursion, binary and trees/);
      expect(text(id).split(/[.!?](?:\s|$)/).filter(Boolean).length).toBeGreaterThanOrEqual(1);
      expect(text(id).split(/[.!?](?:\s|$)/).filter(Boolean).length).toBeLessThanOrEqual(3);
    }
    expect(tokensOf(simulatedExpert({ id: 'alpha' }), task(1, 'Something else entirely')).join('')).not.toBe(text('alpha'));
  });

  it('defaults model and version and passes params through', () => {
    const params = { temperature: 0 };
    expect(simulatedExpert({ id: 'x', params })).toMatchObject({ id: 'x', model: 'simulated', version: '1', params });
    expect(simulatedExpert({ id: 'x', model: 'm', version: '7' })).toMatchObject({ model: 'm', version: '7' });
  });

  it.each<[string, SimulatedExpertOptions, RegExp]>([
    ['an empty id', { id: '' }, /id/],
    ['a blank id', { id: '  ' }, /id/],
    ['a negative first-token delay', { id: 'x', firstTokenDelayMs: -1 }, /firstTokenDelayMs/],
    ['a NaN token delay', { id: 'x', tokenDelayMs: NaN }, /tokenDelayMs/],
    ['an infinite token delay', { id: 'x', tokenDelayMs: Infinity }, /tokenDelayMs/],
    ['a zero attempt', { id: 'x', faults: [{ attempt: 0, error: 'network' }] }, /faults\[0\]\.attempt/],
    ['a fractional attempt', { id: 'x', faults: [{ error: 'stall' }, { attempt: 1.5, error: 'network' }] }, /faults\[1\]\.attempt/],
    ['a negative afterTokens', { id: 'x', faults: [{ afterTokens: -1, error: 'network' }] }, /afterTokens/],
    ['a null fault', { id: 'x', faults: [null as unknown as SimulatedFault] }, /faults\[0\]/],
    ['an unknown error kind', { id: 'x', faults: [{ error: 'boom' as 'network' }] }, /faults\[0\]\.error/],
    ['a negative retryAfterMs', { id: 'x', faults: [{ error: 'rate-limited', retryAfterMs: -5 }] }, /retryAfterMs/],
  ])('throws a TypeError at construction for %s', (_, options, message) => {
    expect(() => simulatedExpert(options)).toThrow(TypeError);
    expect(() => simulatedExpert(options)).toThrow(message);
  });

  it('clears its real timer at once when unsubscribed before the first token', () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const expert = simulatedExpert({ id: 'x', answer: 'one two', firstTokenDelayMs: 1000 });
    const tokens: string[] = [];
    const subscription = expert.stream(task()).subscribe((t) => tokens.push(t));
    expect(timers()).toBe(before + 1);
    subscription.unsubscribe();
    expect(timers()).toBe(before);
    expect(tokens).toEqual([]);
    expect(expert.stats).toEqual({ started: 1, active: 0, completed: 0, failed: 0, cancelled: 1 });
  });
});
