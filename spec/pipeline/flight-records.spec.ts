import { toRecord } from '../../src/pipeline/flight-records';

describe('toRecord', () => {
  it("shares an expert's outcome with the other replicas, but not its usage: the leader's tokens are counted once, by the leader", () => {
    const usage = { inputTokens: 3, outputTokens: 9, estimated: false };
    expect(toRecord({ type: 'expert', requestId: 'r1', expertId: 'a', outcome: 'ok', ms: 5, tokens: 9, usage })).toEqual({
      kind: 'event', event: { type: 'expert', expertId: 'a', outcome: 'ok', ms: 5, tokens: 9 },
    });
  });

  it('shares tokens without the request id, the answer as its text, and keeps hand-offs local', () => {
    expect(toRecord({ type: 'token', requestId: 'r1', source: 'a', text: 'Hi' })).toEqual({ kind: 'event', event: { type: 'token', source: 'a', text: 'Hi' } });
    expect(toRecord({ type: 'answer', requestId: 'r1', text: 'Hi', fromCache: false, degraded: false, planId: 'p' })).toEqual({ kind: 'answer', text: 'Hi', degraded: false });
    expect(toRecord({ type: 'start', requestId: 'r1', at: 0 })).toBeUndefined();
  });
});
