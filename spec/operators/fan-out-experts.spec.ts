import { asyncScheduler, tap } from 'rxjs';
import type { AnswersEvent, ExecuteEvent, ExpertProgress, TimingEvent } from '../../src/chain-events';
import { ExpertError } from '../../src/errors';
import type { ExpertEvent, RetryEvent, StatusEvent, TokenEvent } from '../../src/events';
import { createExecutionSlots } from '../../src/operators/execution-slots';
import { fanOutExperts } from '../../src/operators/fan-out-experts';
import { NO_USAGE, type ChatMessage, type Usage } from '../../src/conversation';
import type { ExpertAnswer } from '../../src/ports';
import { expectPassThrough } from '../support/every-kind';
import { breakersFor, executeEvent, executionDeps, fakeExpert } from '../support/execution-fixtures';
import { systemError } from '../support/operator-fixtures';
import { newScheduler, pendingTimers } from '../support/virtual-time';

const unavailable = (id: string) => new ExpertError(id, 'down', { status: 503 });

const token = (source: string, text: string, requestId = 'r1'): TokenEvent => ({ type: 'token', requestId, source, text });
/**
 * Estimated usage (about 4 characters per token, rounded up, per attempt): the prompt 'Tell me'
 * (7 characters) is 2 input tokens an attempt; the output is the attempt's text.
 */
const used = (inputTokens: number, outputTokens: number): Usage => ({ inputTokens, outputTokens, estimated: true });
const ended = (expertId: string, outcome: 'ok' | 'failed', ms: number, tokens: number, usage: Usage, error?: string, requestId = 'r1'): ExpertEvent =>
  (error === undefined
    ? { type: 'expert', requestId, expertId, outcome, ms, tokens, usage }
    : { type: 'expert', requestId, expertId, outcome, ms, tokens, error, usage });
const started = (at = 0, requestId = 'r1') => ({ type: 'experts-started', requestId, at, progress: expect.any(Function) });
const conversation: readonly ChatMessage[] = [
  { role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Is it raining?' }, { role: 'assistant', content: 'Yes.' }, { role: 'user', content: 'Why?' },
];
const timing = (at: number, ms: number, requestId = 'r1'): TimingEvent => ({ type: 'timing', requestId, stage: 'execution', at, ms });
/** The answers hand-off; `usage`: every expert's, failed ones included. */
const answersOf = (execute: ExecuteEvent, answers: ExpertAnswer[], usage: Usage, failures: unknown[] = []): AnswersEvent => {
  const { requestId, request, route, cacheKey } = execute;
  return cacheKey === undefined
    ? { type: 'answers', requestId, request, route, answers, failures, usage }
    : { type: 'answers', requestId, request, route, cacheKey, answers, failures, usage };
};
const retry = (source: string, attempt: number, delayMs: number, reason: string, discard: boolean): RetryEvent =>
  ({ type: 'retry', requestId: 'r1', source, attempt, maxRetries: 2, delayMs, reason, discard });
const status = (source: string, attempt: number, delayMs: number, reason: string): StatusEvent =>
  ({ type: 'status', requestId: 'r1', message: `Retry ${attempt}/2 in ${delayMs}ms: ${source} (${reason})` });

/** An expert's progress as plain values (textSoFar read), for toEqual. */
const plain = (progress: readonly ExpertProgress[]) =>
  progress.map(({ expertId, attempts, tokens, firstTokenAt, textSoFar }) => ({ expertId, attempts, tokens, firstTokenAt, text: textSoFar() }));

describe('fanOutExperts', () => {
  it('emits experts-started, the tokens as they come, one expert event per expert, then the execution timing and the answers in plan order', () => {
    const deps = executionDeps();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('      -a---b|', { a: 'Alpha', b: ' one' });
      const b = cold('      --c-d---|', { c: 'Beta', d: ' two' });
      const aSubs = '       ^-----!';
      const bSubs = '       ^-------!';
      const execute = executeEvent([fakeExpert('A', [a]), fakeExpert('B', [b])], { cacheKey: 'k' });
      const source = cold(' x|', { x: execute });
      const expected = '    Sac-dbE-(FTn|)';
      expectObservable(source.pipe(fanOutExperts(deps))).toBe(expected, {
        S: started(), a: token('A', 'Alpha'), c: token('B', 'Beta'), d: token('B', ' two'), b: token('A', ' one'),
        E: ended('A', 'ok', 6, 2, used(2, 3)), F: ended('B', 'ok', 8, 2, used(2, 2)), T: timing(0, 8),
        n: answersOf(execute, [
          { expertId: 'A', text: 'Alpha one', ms: 6, tokens: 2, usage: used(2, 3) },
          { expertId: 'B', text: 'Beta two', ms: 8, tokens: 2, usage: used(2, 2) },
        ], used(4, 5)),
      });
      expectSubscriptions(a.subscriptions).toBe(aSubs);
      expectSubscriptions(b.subscriptions).toBe(bSubs);
    });
    expect(deps.reportSystemError).not.toHaveBeenCalled();
  });

  it('gives each expert the request id, the prompt, the conversation, the params, its attempt number and a usage reporter', () => {
    const deps = executionDeps();
    let experts!: ReturnType<typeof fakeExpert>[];
    newScheduler().run(({ cold, flush }) => {
      experts = ['A', 'B'].map((id) => fakeExpert(id, [cold('-x|')]));
      const execute = executeEvent(experts, { prompt: 'Why?', requestId: 'q7' });
      const request = { ...execute.request, messages: conversation, params: { maxTokens: 5, stop: ['.'] } };
      cold('x|', { x: { ...execute, request } }).pipe(fanOutExperts(deps)).subscribe();
      flush();
    });
    const task = { requestId: 'q7', prompt: 'Why?', messages: conversation, params: { maxTokens: 5, stop: ['.'] }, attempt: 1, reportUsage: expect.any(Function) };
    expect(experts.map((expert) => expert.tasks)).toEqual([[task], [task]]);
  });

  it('stamps experts-started with the start of execution and times the execution from there', () => {
    const deps = executionDeps();
    newScheduler().run(({ cold, expectObservable }) => {
      const a = cold('      -a|', { a: 'Alpha' });
      const execute = executeEvent([fakeExpert('A', [a])]);
      const source = cold(' ---x|', { x: execute });
      expectObservable(source.pipe(fanOutExperts(deps))).toBe('---Sa(ETn|)', {
        S: started(3), a: token('A', 'Alpha'), E: ended('A', 'ok', 2, 1, used(2, 2)), T: timing(3, 2),
        n: answersOf(execute, [{ expertId: 'A', text: 'Alpha', ms: 2, tokens: 1, usage: used(2, 2) }], used(2, 2)),
      });
    });
  });

  it('lets experts-started read each expert\'s attempts, tokens, first token time and text so far, as of the moment it is read', () => {
    const deps = executionDeps();
    const reads: Record<number, ReturnType<typeof plain>> = {};
    newScheduler().run(({ cold, flush }) => {
      const a1 = cold('-a--#', { a: 'Al' }, unavailable('A'));
      const a2 = cold('--b|', { b: 'Alpha' });
      const b = cold(' --c-----|', { c: 'Beta' });
      let progress: (() => readonly ExpertProgress[]) | undefined;
      cold('x|', { x: executeEvent([fakeExpert('A', [a1, a2]), fakeExpert('B', [b])]) })
        .pipe(fanOutExperts(deps), tap((event) => { if (event.type === 'experts-started') progress = event.progress; }))
        .subscribe();
      for (const at of [0, 3, 10, 55, 60]) asyncScheduler.schedule(() => { reads[at] = plain(progress?.() ?? []); }, at);
      flush();
    });
    const b = (tokens: number, text: string) => ({ expertId: 'B', attempts: 1, tokens, firstTokenAt: tokens === 0 ? undefined : 2, text });
    expect(reads).toEqual({
      0: [{ expertId: 'A', attempts: 1, tokens: 0, firstTokenAt: undefined, text: '' }, b(0, '')],
      3: [{ expertId: 'A', attempts: 1, tokens: 1, firstTokenAt: 1, text: 'Al' }, b(1, 'Beta')],
      // In the retry wait: the failed attempt's text and token count are dropped as the retry is announced.
      10: [{ expertId: 'A', attempts: 1, tokens: 0, firstTokenAt: 1, text: '' }, b(1, 'Beta')],
      55: [{ expertId: 'A', attempts: 2, tokens: 0, firstTokenAt: 1, text: '' }, b(1, 'Beta')],
      60: [{ expertId: 'A', attempts: 2, tokens: 1, firstTokenAt: 1, text: 'Alpha' }, b(1, 'Beta')],
    });
  });

  it('announces a retry with retry and status before the wait, discard: true when the failed attempt had streamed', () => {
    const deps = executionDeps();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a1 = cold('     -a-#', { a: 'Al' }, unavailable('A'));
      const a2 = cold('     --b|', { b: 'Alpha' });
      const execute = executeEvent([fakeExpert('A', [a1, a2])]);
      const source = cold(' x|', { x: execute });
      const expected = '    Sa-(rs) 48ms b(ETn|)';
      expectObservable(source.pipe(fanOutExperts(deps))).toBe(expected, {
        S: started(), a: token('A', 'Al'), r: retry('A', 1, 50, 'HTTP 503', true), s: status('A', 1, 50, 'HTTP 503'),
        // Both attempts count: 'Al' (1 token) and 'Alpha' (2), and the prompt twice.
        b: token('A', 'Alpha'), E: ended('A', 'ok', 56, 1, used(4, 3)), T: timing(0, 56),
        n: answersOf(execute, [{ expertId: 'A', text: 'Alpha', ms: 56, tokens: 1, usage: used(4, 3) }], used(4, 3)),
      });
      expectSubscriptions(a2.subscriptions).toBe('53ms ^--!');
    });
  });

  it('says discard: false when the failed attempt streamed nothing, and names the deadline a timeout missed', () => {
    const deps = executionDeps({ deadlines: { firstTokenMs: 5 } });
    newScheduler().run(({ cold, expectObservable }) => {
      const a1 = cold('     --------a|', { a: 'late' });
      const a2 = cold('     --a|', { a: 'quick' });
      const execute = executeEvent([fakeExpert('A', [a1, a2])]);
      const expected = '    S----(rs) 48ms a(ETn|)';
      expectObservable(cold('x|', { x: execute }).pipe(fanOutExperts(deps))).toBe(expected, {
        S: started(), r: retry('A', 1, 50, 'timeout (first-token)', false), s: status('A', 1, 50, 'timeout (first-token)'),
        a: token('A', 'quick'), E: ended('A', 'ok', 58, 1, used(4, 2)), T: timing(0, 58),
        n: answersOf(execute, [{ expertId: 'A', text: 'quick', ms: 58, tokens: 1, usage: used(4, 2) }], used(4, 2)),
      });
    });
  });

  it('interleaves one expert\'s retry with the other\'s tokens; attempt 2 starts exactly delayMs after the failure', () => {
    const deps = executionDeps();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a1 = cold('     -a-#', { a: 'Al' }, unavailable('A'));
      const a2 = cold('     --b|', { b: 'Alpha' });
      const b = cold('      --------c 41ms d|', { c: 'Beta', d: '!' });
      const a2Subs = '      53ms ^--!';
      const execute = executeEvent([fakeExpert('A', [a1, a2]), fakeExpert('B', [b])]);
      const expected = '    Sa-(rs)-c 41ms dF---b(ETn|)';
      expectObservable(cold('x|', { x: execute }).pipe(fanOutExperts(deps))).toBe(expected, {
        S: started(), a: token('A', 'Al'), r: retry('A', 1, 50, 'HTTP 503', true), s: status('A', 1, 50, 'HTTP 503'),
        c: token('B', 'Beta'), d: token('B', '!'), F: ended('B', 'ok', 51, 2, used(2, 2)), b: token('A', 'Alpha'),
        E: ended('A', 'ok', 56, 1, used(4, 3)), T: timing(0, 56),
        n: answersOf(execute, [
          { expertId: 'A', text: 'Alpha', ms: 56, tokens: 1, usage: used(4, 3) },
          { expertId: 'B', text: 'Beta!', ms: 51, tokens: 2, usage: used(2, 2) },
        ], used(6, 5)),
      });
      expectSubscriptions(a1.subscriptions).toBe('^--!');
      expectSubscriptions(a2.subscriptions).toBe(a2Subs);
    });
  });

  it('still emits the answers when one expert fails: a failed expert event, its error in failures, reported with its stage', () => {
    const deps = executionDeps();
    const badRequest = new ExpertError('A', 'Bad request', { status: 400 });
    let execute!: ExecuteEvent;
    newScheduler().run(({ cold, expectObservable }) => {
      const a = cold('      --#', undefined, badRequest);
      const b = cold('      -c--|', { c: 'Beta' });
      execute = executeEvent([fakeExpert('A', [a]), fakeExpert('B', [b])]);
      expectObservable(cold('x|', { x: execute }).pipe(fanOutExperts(deps))).toBe('ScE-(FTn|)', {
        S: started(), c: token('B', 'Beta'), E: ended('A', 'failed', 2, 0, used(2, 0), 'HTTP 400'), F: ended('B', 'ok', 4, 1, used(2, 1)), T: timing(0, 4),
        // The failed expert's attempt counts in the total.
        n: answersOf(execute, [{ expertId: 'B', text: 'Beta', ms: 4, tokens: 1, usage: used(2, 1) }], used(4, 1), [badRequest]),
      });
    });
    expect(deps.reportSystemError).toHaveBeenCalledTimes(1);
    expect(deps.reportSystemError).toHaveBeenCalledWith(badRequest, { requestId: 'r1', stage: 'expert:A', plan: execute.route.plan });
  });

  it('fails an expert that gave up after its retries with its last error and the tokens of its last attempt', () => {
    const deps = executionDeps();
    newScheduler().run(({ cold, expectObservable }) => {
      const attempt = cold('-a#', { a: 'x' }, unavailable('A'));
      const execute = executeEvent([fakeExpert('A', [attempt, attempt, attempt])]);
      expectObservable(cold('x|', { x: execute }).pipe(fanOutExperts(deps))).toBe('Sa(rs) 47ms a(RU) 97ms a(ETn|)', {
        S: started(), a: token('A', 'x'),
        r: retry('A', 1, 50, 'HTTP 503', true), s: status('A', 1, 50, 'HTTP 503'),
        R: retry('A', 2, 100, 'HTTP 503', true), U: status('A', 2, 100, 'HTTP 503'),
        E: ended('A', 'failed', 156, 1, used(6, 3), 'HTTP 503'), T: timing(0, 156), n: answersOf(execute, [], used(6, 3), [unavailable('A')]),
      });
    });
    expect(deps.reportSystemError).toHaveBeenCalledTimes(1);
  });

  it('counts an answer of only whitespace, or no token at all, as a failed expert (protocol), without retrying', () => {
    const deps = executionDeps();
    let experts!: ReturnType<typeof fakeExpert>[];
    newScheduler().run(({ cold, expectObservable }) => {
      experts = [fakeExpert('A', [cold('-a-b|', { a: '  ', b: '\n' })]), fakeExpert('B', [cold('--|')])];
      const execute = executeEvent(experts);
      expectObservable(cold('x|', { x: execute }).pipe(fanOutExperts(deps))).toBe('SaFb(ETn|)', {
        S: started(), a: token('A', '  '), b: token('A', '\n'),
        F: ended('B', 'failed', 2, 0, used(2, 0), 'protocol'), E: ended('A', 'failed', 4, 2, used(2, 1), 'protocol'), T: timing(0, 4),
        n: answersOf(execute, [], used(4, 1), [
          expect.objectContaining({ _tag: 'ExpertError', expertId: 'B', failure: 'protocol', retriable: false }),
          expect.objectContaining({ _tag: 'ExpertError', expertId: 'A', failure: 'protocol', retriable: false }),
        ]),
      });
    });
    expect(experts.map((expert) => expert.tasks.length)).toEqual([1, 1]);
  });

  it('emits experts-started, the timing and the answers at once for a plan without experts', () => {
    const deps = executionDeps();
    newScheduler().run(({ cold, expectObservable }) => {
      const execute = executeEvent([]);
      expectObservable(cold('(x|)', { x: execute }).pipe(fanOutExperts(deps))).toBe('(STn|)', {
        S: started(), T: timing(0, 0), n: answersOf(execute, [], NO_USAGE),
      });
    });
  });

  it('stops every expert at the frame the subscriber leaves, with no expert event and no timer left', () => {
    const deps = executionDeps({ deadlines: { totalMs: 100 } });
    const scheduler = newScheduler();
    let pending = -1;
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('      -a---b|');
      const b = cold('      --c-d---|');
      const unsub = '       ^--!';
      const subs = '        ^--!';
      const source = cold(' x|', { x: executeEvent([fakeExpert('A', [a]), fakeExpert('B', [b])]) });
      expectObservable(source.pipe(fanOutExperts(deps)), unsub).toBe('Sac', { S: started(), a: token('A', 'a'), c: token('B', 'c') });
      expectSubscriptions(a.subscriptions).toBe(subs);
      expectSubscriptions(b.subscriptions).toBe(subs);
      scheduler.schedule(() => { pending = pendingTimers(scheduler); }, 5);
    });
    expect(pending).toBe(0);
    expect(deps.reportSystemError).not.toHaveBeenCalled();
  });

  it('stops a retrying expert\'s wait and the other expert\'s stream together', () => {
    const deps = executionDeps();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a1 = cold('     -#', undefined, unavailable('A'));
      const a2 = cold('     -a|');
      const b = cold('      ---------c|');
      const unsub = '       ^-------!';
      const execute = executeEvent([fakeExpert('A', [a1, a2]), fakeExpert('B', [b])]);
      expectObservable(cold('x|', { x: execute }).pipe(fanOutExperts(deps)), unsub).toBe('S(rs)', {
        S: started(), r: retry('A', 1, 50, 'HTTP 503', false), s: status('A', 1, 50, 'HTTP 503'),
      });
      expectSubscriptions(a1.subscriptions).toBe('^!');
      expectSubscriptions(a2.subscriptions).toBe([]);
      expectSubscriptions(b.subscriptions).toBe('^-------!');
    });
  });

  it('runs each execute hand-off on its own', () => {
    const deps = executionDeps();
    newScheduler().run(({ cold, expectObservable }) => {
      const one = executeEvent([fakeExpert('A', [cold('---a|', { a: 'one' })])], { requestId: 'one' });
      const two = executeEvent([fakeExpert('A', [cold('-b-------|', { b: 'two' })])], { requestId: 'two' });
      expectObservable(cold('xy|', { x: one, y: two }).pipe(fanOutExperts(deps))).toBe('STba(Etn)-(FUo|)', {
        S: started(0, 'one'), T: started(1, 'two'),
        a: token('A', 'one', 'one'), E: ended('A', 'ok', 4, 1, used(2, 1), undefined, 'one'), t: timing(0, 4, 'one'),
        n: answersOf(one, [{ expertId: 'A', text: 'one', ms: 4, tokens: 1, usage: used(2, 1) }], used(2, 1)),
        b: token('A', 'two', 'two'), F: ended('A', 'ok', 9, 1, used(2, 1), undefined, 'two'), U: timing(1, 9, 'two'),
        o: answersOf(two, [{ expertId: 'A', text: 'two', ms: 9, tokens: 1, usage: used(2, 1) }], used(2, 1)),
      });
    });
  });

  describe('with execution slots', () => {
    it('starts a queued execution when a slot frees, at that frame', () => {
      const slots = createExecutionSlots(1, 1);
      const deps = executionDeps({ slots });
      newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const a = cold('        --a|', { a: 'one' });
        const b = cold('           -b|', { b: 'two' });
        const first = executeEvent([fakeExpert('A', [a])], { requestId: 'one' });
        const second = executeEvent([fakeExpert('B', [b])], { requestId: 'two' });
        const expectedOne = '   S-a(ETn|)';
        const expectedTwo = '   ---Sb(FUo|)';
        expectObservable(cold(' x|', { x: first }).pipe(fanOutExperts(deps))).toBe(expectedOne, {
          S: started(0, 'one'), a: token('A', 'one', 'one'), E: ended('A', 'ok', 3, 1, used(2, 1), undefined, 'one'), T: timing(0, 3, 'one'),
          n: answersOf(first, [{ expertId: 'A', text: 'one', ms: 3, tokens: 1, usage: used(2, 1) }], used(2, 1)),
        });
        expectObservable(cold(' -y|', { y: second }).pipe(fanOutExperts(deps))).toBe(expectedTwo, {
          S: started(3, 'two'), b: token('B', 'two', 'two'), F: ended('B', 'ok', 2, 1, used(2, 1), undefined, 'two'), U: timing(3, 2, 'two'),
          o: answersOf(second, [{ expertId: 'B', text: 'two', ms: 2, tokens: 1, usage: used(2, 1) }], used(2, 1)),
        });
        expectSubscriptions(b.subscriptions).toBe('---^-!');
      });
      expect([slots.running(), slots.queued()]).toEqual([0, 0]);
    });

    it('frees the slot when the execution is unsubscribed, so a queued one starts then', () => {
      const slots = createExecutionSlots(1, 1);
      const deps = executionDeps({ slots });
      newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const a = cold('        ------a|');
        const b = cold('          -b|', { b: 'two' });
        const second = executeEvent([fakeExpert('B', [b])], { requestId: 'two' });
        expectObservable(cold(' x|', { x: executeEvent([fakeExpert('A', [a])], { requestId: 'one' }) }).pipe(fanOutExperts(deps)), '^-!')
          .toBe('S-', { S: started(0, 'one') });
        expectObservable(cold(' -y|', { y: second }).pipe(fanOutExperts(deps))).toBe('--Sb(FUo|)', {
          S: started(2, 'two'), b: token('B', 'two', 'two'), F: ended('B', 'ok', 2, 1, used(2, 1), undefined, 'two'), U: timing(2, 2, 'two'),
          o: answersOf(second, [{ expertId: 'B', text: 'two', ms: 2, tokens: 1, usage: used(2, 1) }], used(2, 1)),
        });
        expectSubscriptions(a.subscriptions).toBe('^-!');
      });
      expect([slots.running(), slots.queued()]).toEqual([0, 0]);
    });

    it('leaves the queue when a queued execution is unsubscribed: its experts never start', () => {
      const slots = createExecutionSlots(1, 1);
      const deps = executionDeps({ slots });
      let queued!: ReturnType<typeof fakeExpert>;
      newScheduler().run(({ cold, expectObservable }) => {
        queued = fakeExpert('B', [cold('-b|')]);
        expectObservable(cold('x|', { x: executeEvent([fakeExpert('A', [cold('----a|')])]) }).pipe(fanOutExperts(deps))).toBe('S---a(ETn|)', {
          S: started(), a: token('A', 'a'), E: ended('A', 'ok', 5, 1, used(2, 1)), T: timing(0, 5), n: expect.objectContaining({ type: 'answers' }),
        });
        expectObservable(cold('-y|', { y: executeEvent([queued], { requestId: 'two' }) }).pipe(fanOutExperts(deps)), '^--!').toBe('---');
      });
      expect(queued.tasks).toEqual([]);
      expect([slots.running(), slots.queued()]).toEqual([0, 0]);
    });

    it('refuses an execution beyond the queue at once with an overloaded error, reported', () => {
      const slots = createExecutionSlots(1, 0);
      const deps = executionDeps({ slots });
      let refused!: ExecuteEvent;
      newScheduler().run(({ cold, expectObservable }) => {
        const first = executeEvent([fakeExpert('A', [cold('---a|')])], { requestId: 'one' });
        refused = executeEvent([fakeExpert('B', [cold('-b|')])], { requestId: 'two' });
        expectObservable(cold('x|', { x: first }).pipe(fanOutExperts(deps))).toBe('S--a(ETn|)', {
          S: started(0, 'one'), a: token('A', 'a', 'one'), E: ended('A', 'ok', 4, 1, used(2, 1), undefined, 'one'), T: timing(0, 4, 'one'),
          n: expect.objectContaining({ type: 'answers' }),
        });
        expectObservable(cold('-y|', { y: refused }).pipe(fanOutExperts(deps))).toBe('-e|', { e: systemError('overloaded', 'two') });
      });
      expect(deps.reportSystemError).toHaveBeenCalledWith(
        expect.objectContaining({ _tag: 'OverloadedError' }), { requestId: 'two', stage: 'execution', plan: refused.route.plan });
    });
  });

  describe('with circuit breakers', () => {
    it('fails an expert whose circuit is open at once with a circuit-open ExpertError, without calling it; the others run', () => {
      const breakers = breakersFor(['A', 'B'], 1);
      const deps = executionDeps({ breakers });
      let a!: ReturnType<typeof fakeExpert>;
      let execute!: ExecuteEvent;
      let states!: ReturnType<typeof breakers.states>;
      newScheduler().run(({ cold, expectObservable, flush }) => {
        breakers.failed('A');
        a = fakeExpert('A', [cold('-a|')]);
        execute = executeEvent([a, fakeExpert('B', [cold('-----b|', { b: 'Beta' })])]);
        expectObservable(cold('x|', { x: execute }).pipe(fanOutExperts(deps))).toBe('(SE)-b(FTn|)', {
          // A refused expert made no attempt: it cost nothing.
          S: started(), E: ended('A', 'failed', 0, 0, NO_USAGE, 'circuit-open'), b: token('B', 'Beta'), F: ended('B', 'ok', 6, 1, used(2, 1)), T: timing(0, 6),
          n: answersOf(execute, [{ expertId: 'B', text: 'Beta', ms: 6, tokens: 1, usage: used(2, 1) }], used(2, 1), [
            expect.objectContaining({ _tag: 'ExpertError', expertId: 'A', failure: 'circuit-open', retriable: false }),
          ]),
        });
        flush();
        states = breakers.states(); // read in virtual time: after run() the breakers' clock is the real one
      });
      expect(a.tasks).toEqual([]);
      expect(deps.reportSystemError).toHaveBeenCalledWith(
        expect.objectContaining({ failure: 'circuit-open' }), { requestId: 'r1', stage: 'expert:A', plan: execute.route.plan });
      expect(states).toEqual({ A: 'open', B: 'closed' });
    });

    it('counts every retriable failed attempt against the expert\'s breaker, and not a 400', () => {
      const breakers = breakersFor(['A', 'B'], 2);
      const deps = executionDeps({ breakers, retry: { maxRetries: 1 } });
      let states!: ReturnType<typeof breakers.states>;
      newScheduler().run(({ cold, flush }) => {
        const a = cold('-#', undefined, unavailable('A'));
        const b = cold('-#', undefined, new ExpertError('B', 'Bad request', { status: 400 }));
        cold('x|', { x: executeEvent([fakeExpert('A', [a, a]), fakeExpert('B', [b])]) }).pipe(fanOutExperts(deps)).subscribe();
        flush();
        states = breakers.states();
      });
      expect(states).toEqual({ A: 'open', B: 'closed' });
    });

    it('closes a half-open breaker with the probe\'s clean answer', () => {
      const breakers = breakersFor(['A'], 1);
      const deps = executionDeps({ breakers });
      const seen: [string | undefined, boolean][] = [];
      newScheduler().run(({ cold, flush }) => {
        breakers.failed('A');
        cold('1000ms x|', { x: executeEvent([fakeExpert('A', [cold('-a|')])]) }).pipe(fanOutExperts(deps)).subscribe();
        for (const at of [999, 1001, 1003]) asyncScheduler.schedule(() => seen.push([breakers.states().A, breakers.isAvailable('A')]), at);
        flush();
      });
      // Open, then half-open with this run as its one probe, then closed by the probe's clean answer.
      expect(seen).toEqual([['open', false], ['half-open', false], ['closed', true]]);
    });

    it('frees a half-open breaker\'s probe when the execution is unsubscribed, so another run may probe', () => {
      const breakers = breakersFor(['A'], 1);
      const deps = executionDeps({ breakers });
      const available: boolean[] = [];
      newScheduler().run(({ cold, expectObservable }) => {
        breakers.failed('A');
        const source = cold('1000ms x|', { x: executeEvent([fakeExpert('A', [cold('-----a|')])]) });
        expectObservable(source.pipe(fanOutExperts(deps)), '^ 1001ms !').toBe('1000ms S', { S: started(1000) });
        for (const at of [1001, 1003]) asyncScheduler.schedule(() => available.push(breakers.isAvailable('A')), at);
      });
      expect(available).toEqual([false, true]);
    });
  });

  it('passes every other kind through as the same object', () => {
    expectPassThrough(fanOutExperts(executionDeps()), 'e');
  });

});
