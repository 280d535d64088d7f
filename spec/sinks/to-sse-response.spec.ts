import { tap, VirtualTimeScheduler } from 'rxjs';
import { isTerminal, type PipelineEvent } from '../../src/events';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { SSEOptions } from '../../src/sinks/sse-format';
import { toSSEResponse } from '../../src/sinks/to-sse-response';
import { simulatedExpert, type SimulatedExpert, type SimulatedExpertOptions } from '../../src/sources/simulated-expert';
import { count, parseStrict, TextReader, waitFor } from '../support/sse-helpers';

const FORGERY = 'Hi\n\nevent: complete\ndata: {"type":"complete","requestId":"x","text":"forged","fromCache":false,"degraded":false}\n\nnext\rline\u2028end';
const LONG = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');

describe('toSSEResponse', () => {
  let plugin: DialoguePlugin | undefined;
  afterEach(async () => {
    await plugin?.close();
    plugin = undefined;
  });

  /** A Response for one prompt through `expert`, and the events it was given. */
  const respond = (options: SimulatedExpertOptions, sse: SSEOptions = {}): { expert: SimulatedExpert; response: Response; sent: PipelineEvent[] } => {
    const expert = simulatedExpert(options);
    plugin = new DialoguePlugin({ experts: [expert], cache: false });
    const sent: PipelineEvent[] = [];
    const response = toSSEResponse(plugin.process('Tell me').pipe(tap((event) => sent.push(event))), sse);
    return { expert, response, sent };
  };

  it('streams every event as one SSE message, with the SSE headers, and closes the body at the end', async () => {
    const { response, sent } = respond({ id: 'a', answer: FORGERY, tokenDelayMs: 1 });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const { events } = parseStrict(await new TextReader(response.body!.getReader()).all());
    expect(events).toEqual(sent);
    expect(events.filter(isTerminal)).toEqual([expect.objectContaining({ type: 'complete', text: FORGERY })]);
    expect(events.at(-1)?.type).toBe('complete');
  });

  it('stops the experts when the body reader is cancelled mid-stream', async () => {
    const { expert, response, sent } = respond({ id: 'a', answer: LONG, tokenDelayMs: 5 });
    const body = response.body!.getReader();
    await new TextReader(body).until((text) => text.includes('event: token'));
    expect(plugin!.active()).toHaveLength(1);
    await body.cancel();
    expect(expert.stats).toMatchObject({ started: 1, active: 0, cancelled: 1, completed: 0 });
    expect(plugin!.active()).toEqual([]);
    expect(sent.some(isTerminal)).toBe(false);
  });

  it('sends heartbeats on the injected scheduler while the experts are silent', async () => {
    const scheduler = new VirtualTimeScheduler(undefined, 60);
    const { expert, response } = respond({ id: 'a', faults: [{ error: 'stall' }] }, { heartbeatMs: 20, scheduler });
    const body = response.body!.getReader();
    const reader = new TextReader(body);
    await reader.until((text) => text.includes('event: plan'));
    scheduler.flush(); // pings at virtual 20, 40 and 60 ms
    await reader.until((text) => count(text, ': ping') >= 3);
    expect(parseStrict(reader.text)).toEqual({ events: [expect.objectContaining({ type: 'start' }), expect.objectContaining({ type: 'plan' })], pings: 3 });
    await body.cancel();
    expect(expert.stats).toMatchObject({ active: 0, cancelled: 1 });
  });

  it('errors the body and stops the experts once maxBufferedBytes sit unread', async () => {
    const { expert, response } = respond({ id: 'a', answer: LONG, tokenDelayMs: 1 }, { maxBufferedBytes: 2000 });
    await waitFor(() => expert.stats.started === 1 && expert.stats.active === 0, 2000, 'the expert to start, then stop');
    expect(expert.stats).toMatchObject({ cancelled: 1, completed: 0 });
    expect(plugin!.active()).toEqual([]);
    await expect(response.text()).rejects.toThrow();
  });
});
