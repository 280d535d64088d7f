import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Expert, ExpertAnswer, ExpertTask, FusionContext } from '../../src/ports';
import { DEFAULT_AGGREGATOR_TEMPLATE, aggregator } from '../../src/strategies/fusion-aggregator';

const answer = (expertId: string, text: string): ExpertAnswer => ({ expertId, text, ms: 10, tokens: 1 });
const answers = [answer('gamma', ' Gamma thinks 42.\n'), answer('alpha', 'Alpha thinks 41.'), answer('beta', 'Beta thinks 42.')];

const contextFor = (scheduler: TestScheduler, prompt = 'What is the answer?'): FusionContext => ({
  prompt,
  plan: { id: 'plan-1', intent: 'factual', tasks: [], fusion: { id: 'aggregator:agg', version: 'v' } },
  scheduler,
});

/** An aggregator expert replying with `reply$`, recording its tasks. */
const expertOf = (reply$: Observable<string>, overrides: Partial<Expert> = {}) => {
  const tasks: ExpertTask[] = [];
  const expert: Expert = { id: 'agg', model: 'big', version: '3', stream: (task) => { tasks.push(task); return reply$; }, ...overrides };
  return { expert, tasks };
};

describe('aggregator', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('declares its id, generate mode and order sensitivity', () => {
    const s = aggregator(expertOf(scheduler.createColdObservable('|')).expert);
    expect({ id: s.id, orderSensitive: s.orderSensitive, mode: s.mode }).toEqual({ id: 'aggregator:agg', orderSensitive: true, mode: 'generate' });
    expect(s.version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('asks the expert once with the numbered candidates in plan order and the original prompt', () => {
    scheduler.run(({ cold }) => {
      const { expert, tasks } = expertOf(cold('-a|', { a: 'x' }));
      aggregator(expert).fuse(answers, contextFor(scheduler)).subscribe();
      expect(tasks).toHaveLength(1);
      expect(tasks[0]?.requestId).toBe('plan-1');
      expect(tasks[0]?.attempt).toBe(1);
      expect(tasks[0]?.prompt).toBe(DEFAULT_AGGREGATOR_TEMPLATE
        .replace('{prompt}', 'What is the answer?')
        .replace('{candidates}', 'Candidate 1 (gamma):\nGamma thinks 42.\n\nCandidate 2 (alpha):\nAlpha thinks 41.\n\nCandidate 3 (beta):\nBeta thinks 42.'));
      expect(tasks[0]?.prompt).toMatch(/Request:\nWhat is the answer\?\n\nCandidate 1 \(gamma\):/);
    });
  });

  it('fills a custom template in one pass, so placeholders inside the prompt or answers stay as written', () => {
    scheduler.run(({ cold }) => {
      const { expert, tasks } = expertOf(cold('|'));
      aggregator(expert, { template: 'Q: {prompt}\n{candidates}\nQ again: {prompt}' })
        .fuse([answer('a', 'see {prompt}')], contextFor(scheduler, 'why {candidates}?')).subscribe();
      expect(tasks[0]?.prompt).toBe('Q: why {candidates}?\nCandidate 1 (a):\nsee {prompt}\nQ again: why {candidates}?');
    });
  });

  it("streams the expert's tokens as the fused text and stops the expert on unsubscribe", () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply$ = cold('-a-b-c|', { a: 'The', b: ' answer', c: ' is 42.' });
      const fused$ = aggregator(expertOf(reply$).expert).fuse(answers, contextFor(scheduler));
      expectObservable(fused$).toBe('-a-b-c|', { a: 'The', b: ' answer', c: ' is 42.' });
      expectObservable(fused$, '^--!').toBe('-a-', { a: 'The' });
      expectSubscriptions(reply$.subscriptions).toBe(['^-----!', '^--!']);
    });
  });

  it("errors with a FusionError carrying the expert's error as cause when the expert fails", () => {
    scheduler.run(({ cold, expectObservable }) => {
      const cause = new Error('503');
      const fused$ = aggregator(expertOf(cold('-a-#', { a: 'The' }, cause)).expert).fuse(answers, contextFor(scheduler));
      expectObservable(fused$).toBe('-a-#', { a: 'The' }, expect.objectContaining({ _tag: 'FusionError', strategyId: 'aggregator:agg', cause }));
    });
  });

  it('errors with a FusionError when a token is later than timeoutMs, unsubscribing the expert', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply$ = cold('-a 10ms b|', { a: 'The', b: ' end' });
      const fused$ = aggregator(expertOf(reply$).expert, { timeoutMs: 5 }).fuse(answers, contextFor(scheduler));
      expectObservable(fused$).toBe('-a 4ms #', { a: 'The' }, expect.objectContaining({ _tag: 'FusionError', message: 'aggregator fusion: no token for 5 ms' }));
      expectSubscriptions(reply$.subscriptions).toBe('^ 5ms !');
    });
  });

  describe('usage', () => {
    /** The context with a usage reporter; `log` records the reports and the fused stream's notifications in order. */
    const reporting = () => {
      const log: unknown[] = [];
      const context: FusionContext = { ...contextFor(scheduler), reportUsage: (usage) => log.push(usage) };
      const watch = (fused$: Observable<string>): void => {
        fused$.subscribe({ next: (text) => log.push(`next ${text}`), error: () => log.push('error'), complete: () => log.push('complete') });
      };
      return { log, context, watch };
    };

    it('gives the aggregator expert its prompt as one user message and the caller\'s params', () => {
      scheduler.run(({ cold }) => {
        const { expert, tasks } = expertOf(cold('-a|', { a: 'x' }));
        aggregator(expert).fuse(answers, { ...contextFor(scheduler), params: { maxTokens: 50, temperature: 0.1 } }).subscribe();
        expect(tasks[0]?.messages).toEqual([{ role: 'user', content: tasks[0]?.prompt }]);
        expect(tasks[0]?.params).toEqual({ maxTokens: 50, temperature: 0.1 });
      });
    });

    it('reports its call, estimated when the expert reports none, before the fused text completes', () => {
      const { log, context, watch } = reporting();
      let prompt = '';
      scheduler.run(({ cold, flush }) => {
        const { expert, tasks } = expertOf(cold('-a-b|', { a: 'The answer', b: ' is 42.' }));
        watch(aggregator(expert).fuse(answers, context));
        flush();
        prompt = tasks[0]!.prompt;
      });
      // About 4 characters a token: the filled template in, 'The answer is 42.' (17 characters) out.
      expect(log).toEqual(['next The answer', 'next  is 42.', { inputTokens: Math.ceil(prompt.length / 4), outputTokens: 5, estimated: true }, 'complete']);
    });

    it('reports what the aggregator expert reported, as not estimated', () => {
      const { log, context, watch } = reporting();
      scheduler.run(({ cold, flush }) => {
        const expert: Expert = {
          id: 'agg', model: 'big', version: '3',
          stream: (task) => {
            task.reportUsage?.({ inputTokens: 321, outputTokens: 4 });
            return cold('-a|', { a: 'Fused.' });
          },
        };
        watch(aggregator(expert).fuse(answers, context));
        flush();
      });
      expect(log).toEqual(['next Fused.', { inputTokens: 321, outputTokens: 4, estimated: false }, 'complete']);
    });

    it('reports the call of an aggregator that failed, before the error', () => {
      const { log, context, watch } = reporting();
      scheduler.run(({ cold, flush }) => {
        watch(aggregator(expertOf(cold('-a-#', { a: 'Half' }, new Error('503'))).expert).fuse(answers, context));
        flush();
      });
      expect(log).toEqual(['next Half', expect.objectContaining({ outputTokens: 1, estimated: true }), 'error']);
    });
  });

  it('errors with a FusionError on an empty candidate list, without asking the expert', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const { expert, tasks } = expertOf(cold('-a|', { a: 'x' }));
      expectObservable(aggregator(expert).fuse([], contextFor(scheduler)))
        .toBe('#', undefined, expect.objectContaining({ _tag: 'FusionError', strategyId: 'aggregator:agg' }));
      scheduler.flush();
      expect(tasks).toHaveLength(0);
    });
  });

  it('changes its version with the template, the aggregator model, version, params, id and its own version, and only then', () => {
    const reply$ = scheduler.createColdObservable<string>('|');
    const versionOf = (overrides: Partial<Expert> = {}, options = {}) => aggregator(expertOf(reply$, overrides).expert, options).version;
    const base = versionOf();
    expect(versionOf()).toBe(base);
    expect(versionOf({}, { timeoutMs: 10 })).toBe(base);
    const variants = [
      versionOf({}, { template: `${DEFAULT_AGGREGATOR_TEMPLATE}\nBe brief.` }),
      versionOf({ model: 'bigger' }),
      versionOf({ version: '4' }),
      versionOf({ params: { temperature: 0 } }),
      versionOf({ id: 'agg2' }),
      versionOf({}, { version: '2' }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('rejects bad options at construction', () => {
    const { expert } = expertOf(scheduler.createColdObservable('|'));
    expect(() => aggregator(expert, { template: 'only {prompt}' })).toThrow(/template must be a string with \{prompt\} and \{candidates\}/);
    expect(() => aggregator(expert, { version: '' })).toThrow(/version must be a non-empty string/);
    expect(() => aggregator(expert, { timeoutMs: 0 })).toThrow(/timeoutMs must be a number > 0/);
    expect(() => aggregator({} as Expert)).toThrow(/expert must be an Expert/);
  });
});
