import { createPaint } from '../../src/cli/ansi';
import { reduceLanes, type Lane, type Lanes } from '../../src/cli/lane-state';
import { head, redraw, renderLane, renderLanes, tail } from '../../src/cli/render-lanes';
import type { PipelineEvent } from '../../src/events';

const plain = createPaint(false);
const layout = (columns: number) => ({ columns, paint: plain });
const lane = (over: Partial<Lane>): Lane => ({ id: 'swift', status: 'waiting', text: '', note: '', ...over });
const requestId = 'r';

const fold = (events: PipelineEvent[]): Lanes => events.reduce(reduceLanes, [] as Lanes);
const plan: PipelineEvent = {
  type: 'plan', requestId,
  plan: { id: 'p', intent: 'general', fusion: { id: 'best', version: '1' }, tasks: ['swift', 'steady', 'deep'].map((expertId) => ({ expertId, model: 'm', version: '1' })) },
};
const token = (source: string, text: string): PipelineEvent => ({ type: 'token', requestId, source, text });

describe('reduceLanes', () => {
  it('starts one waiting lane per planned expert, in plan order', () => {
    expect(fold([plan]).map((l) => [l.id, l.status])).toEqual([['swift', 'waiting'], ['steady', 'waiting'], ['deep', 'waiting']]);
  });

  it('appends tokens to their lane, which is then streaming', () => {
    const lanes = fold([plan, token('steady', 'Hello'), token('steady', ' world')]);
    expect(lanes[1]).toEqual(lane({ id: 'steady', status: 'streaming', text: 'Hello world' }));
    expect(lanes[0].status).toBe('waiting');
  });

  it('marks a retrying lane, and a discarding retry clears its text', () => {
    const retry = (discard: boolean): PipelineEvent =>
      ({ type: 'retry', requestId, source: 'deep', attempt: 1, maxRetries: 2, delayMs: 180, reason: 'unavailable', discard });
    expect(fold([plan, token('deep', 'half'), retry(true)])[2]).toEqual(
      lane({ id: 'deep', status: 'retrying', text: '', note: 'retry 1/2 in 180 ms: unavailable' }));
    expect(fold([plan, token('deep', 'half'), retry(false)])[2].text).toBe('half');
    expect(fold([plan, token('deep', 'half'), retry(true), token('deep', 'again')])[2]).toEqual(
      lane({ id: 'deep', status: 'streaming', text: 'again' }));
  });

  it('ends a lane on its expert event: done, or failed with the error as note', () => {
    const lanes = fold([plan, token('swift', 'ok'),
      { type: 'expert', requestId, expertId: 'swift', outcome: 'ok', ms: 5, tokens: 1 },
      { type: 'expert', requestId, expertId: 'deep', outcome: 'failed', ms: 5, tokens: 0, error: 'HTTP 400' }]);
    expect(lanes.map((l) => [l.status, l.note])).toEqual([['done', ''], ['waiting', ''], ['failed', 'HTTP 400']]);
  });

  it('replaces the expert lanes with one cache lane on a hit', () => {
    const lanes = fold([plan, { type: 'cache', requestId, hit: true, key: 'k' }, token('cache', 'cached'),
      { type: 'complete', requestId, text: 'cached', fromCache: true, degraded: false }]);
    expect(lanes).toEqual([lane({ id: 'cache', status: 'done', text: 'cached' })]);
  });

  it('adds a fusion lane for fusion tokens, done on complete; experts still running are cancelled', () => {
    const lanes = fold([plan, token('swift', 'a'), token('fusion', 'f'),
      { type: 'complete', requestId, text: 'f', fromCache: false, degraded: false }]);
    expect(lanes.map((l) => [l.id, l.status])).toEqual([['swift', 'cancelled'], ['steady', 'cancelled'], ['deep', 'cancelled'], ['fusion', 'done']]);
  });

  it('cancels the running lanes on cancellation and keeps the ended ones', () => {
    const lanes = fold([plan, { type: 'expert', requestId, expertId: 'swift', outcome: 'ok', ms: 5, tokens: 0 },
      { type: 'cancelled', requestId, reason: 'aborted' }]);
    expect(lanes.map((l) => l.status)).toEqual(['done', 'cancelled', 'cancelled']);
  });
});

describe('renderLane', () => {
  it('shows id, status and the whole text when it fits', () => {
    expect(renderLane(lane({ status: 'streaming', text: 'Put simply, it is.' }), 6, layout(80))).toBe('swift   streaming  Put simply, it is.');
  });

  it('shows every status, padded to one width', () => {
    const statuses = ['waiting', 'streaming', 'retrying', 'done', 'failed', 'cancelled'] as const;
    expect(statuses.map((status) => renderLane(lane({ status, text: 'x' }), 5, layout(40)))).toEqual([
      'swift  waiting    x', 'swift  streaming  x', 'swift  retrying   x', 'swift  done       x', 'swift  failed     x', 'swift  cancelled  x',
    ]);
  });

  it('keeps the tail of a long text, cut to one column less than the terminal', () => {
    const line = renderLane(lane({ status: 'streaming', text: 'one two three four five six seven eight nine ten' }), 5, layout(40));
    expect(line).toBe('swift  streaming  …seven eight nine ten');
    expect(Array.from(line)).toHaveLength(39);
  });

  it('shows the text on one line, without control characters', () => {
    expect(renderLane(lane({ status: 'done', text: 'a\n\tb\u001b[31m c\r\n' }), 5, layout(80))).toBe('swift  done       a b c');
  });

  it('shows the note first and cuts the note before the text', () => {
    const retrying = lane({ status: 'retrying', note: 'retry 1/2 in 180 ms: unavailable' });
    expect(renderLane(retrying, 5, layout(80))).toBe('swift  retrying   (retry 1/2 in 180 ms: unavailable)');
    expect(renderLane(retrying, 5, layout(30))).toBe('swift  retrying   (retry 1/2…');
    expect(renderLane(lane({ status: 'failed', note: 'HTTP 400', text: 'partial answer' }), 5, layout(80)))
      .toBe('swift  failed     (HTTP 400) partial answer');
  });

  it('never exceeds a very narrow terminal', () => {
    expect(renderLane(lane({ status: 'streaming', text: 'abc' }), 5, layout(12))).toBe('swift  str…');
  });

  it('does not split a surrogate pair', () => {
    expect(renderLane(lane({ status: 'done', text: 'ab😀😀😀' }), 5, layout(23))).toBe('swift  done       …😀😀😀');
  });

  it('colors the status when colors are on', () => {
    expect(renderLane(lane({ status: 'done', text: 'x' }), 5, { columns: 40, paint: createPaint(true) }))
      .toBe('\u001b[1mswift\u001b[22m  \u001b[32mdone     \u001b[39m  x');
  });
});

describe('renderLanes', () => {
  it('aligns the ids on the longest', () => {
    expect(renderLanes([lane({ id: 'swift', text: 'a' }), lane({ id: 'steady', text: 'b' }), lane({ id: 'deep' })], layout(80))).toEqual([
      'swift   waiting    a', 'steady  waiting    b', 'deep    waiting',
    ]);
  });

  it('says it is planning before there are lanes', () => {
    expect(renderLanes([], layout(80))).toEqual(['(planning…)']);
  });
});

describe('redraw', () => {
  it('moves up over the previous frame, rewrites each line and erases what is left below', () => {
    expect(redraw(['a', 'b'], 3)).toBe('\u001b[3F\u001b[2Ka\n\u001b[2Kb\n\u001b[J');
    expect(redraw(['a'], 0)).toBe('\u001b[2Ka\n\u001b[J');
  });
});

describe('head and tail', () => {
  it('cut with an ellipsis only when needed', () => {
    expect(tail('abcdef', 6)).toBe('abcdef');
    expect(tail('abcdef', 4)).toBe('…def');
    expect(head('abcdef', 4)).toBe('abc…');
    expect(head('abcdef', 0)).toBe('');
  });
});
