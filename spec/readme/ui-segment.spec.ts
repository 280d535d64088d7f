/** README, "Compose your own chain": fan-out and fusion alone in a UI, exactly as printed there. */
// #region example
import { of, scan } from 'rxjs';
import { bestFusion, createRouteBuilder, fanOutExperts, fuse, registerExperts, simulatedExpert, type ChainEvent } from '../../src/index';

const experts = [
  simulatedExpert({ id: 'fast', answer: 'Signals are synchronous.', tokenDelayMs: 5 }),
  simulatedExpert({ id: 'deep', answer: 'Signals are synchronous; observables may be async.', tokenDelayMs: 20 }),
];
const route = createRouteBuilder(registerExperts(experts), bestFusion())({ intent: 'chat', expertIds: ['fast', 'deep'] });
const prompt = 'Signals or observables?';
const ask: ChainEvent = { type: 'execute', requestId: 'ui-1', request: { requestId: 'ui-1', prompt, messages: [{ role: 'user', content: prompt }] }, route };

interface View { readonly lanes: Readonly<Record<string, string>>; readonly answer?: string }

// One lane of live text per expert, then the fused answer: what a component binds to (`view$ | async`).
export const view$ = of(ask).pipe(
  fanOutExperts({ retry: { maxRetries: 1, baseDelayMs: 200, maxDelayMs: 2000 } }),
  fuse(),
  scan((view: View, event: ChainEvent): View =>
    (event.type === 'token' ? { ...view, lanes: { ...view.lanes, [event.source]: (view.lanes[event.source] ?? '') + event.text } }
      : event.type === 'answer' ? { ...view, answer: event.text }
        : view), { lanes: {} }),
);
// #endregion example

import { newScheduler } from '../support/virtual-time';

describe('README: fanOutExperts and fuse in a UI', () => {
  it('shows each expert as it streams, then the fused answer', () => {
    newScheduler().run(({ flush }) => {
      const views: View[] = [];
      view$.subscribe((view) => views.push(view));
      flush();
      expect(views.some((view) => view.lanes.fast === 'Signals are synchronous.' && view.lanes.deep !== undefined && view.answer === undefined)).toBe(true);
      expect(views.at(-1)).toEqual({
        lanes: { fast: 'Signals are synchronous.', deep: 'Signals are synchronous; observables may be async.' },
        answer: 'Signals are synchronous.',
      });
    });
  });
});
