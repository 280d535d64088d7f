/** README, "Test your pipeline with marbles": a user's own marble test, exactly as printed there. */
// #region example
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DialoguePlugin, simulatedExpert } from '../../src/index';

describe('my assistant', () => {
  it('streams the answer as it is written and times it exactly', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ expectObservable }) => {
      const plugin = new DialoguePlugin({
        experts: [simulatedExpert({ id: 'quick', answer: 'Streams are lazy.', firstTokenDelayMs: 5, tokenDelayMs: 5 })],
        cache: false,
        scheduler, // every timer and every figure in virtual time (the clock defaults to it)
      });
      const shown$ = plugin.process('Are streams lazy?', { requestId: 't1' }).pipe(
        map((event) => (event.type === 'token' ? event.text
          : event.type === 'metrics' ? `ttft ${event.metrics.ttft} ms, total ${event.metrics.total} ms`
            : event.type)),
      );
      // The guard holds each word until the next shows it is not the start of a secret.
      expectObservable(shown$).toBe('(sp) 6ms a 4ms (bcemC|)', {
        s: 'start', p: 'plan', a: 'Streams ', b: 'are ', c: 'lazy.', e: 'expert', m: 'ttft 10 ms, total 15 ms', C: 'complete',
      });
    });
  });
});
// #endregion example
