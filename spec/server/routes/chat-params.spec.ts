import { decodeUIGenerationParams } from '../../../src/server/ai-sdk/ui-generation-params';
import { simulatedExpert } from '../../../src/sources/simulated-expert';
import { noGuard } from '../../../src/strategies/output-guard';
import { postJson, startDialogueServer, type Running } from '../server-fixtures';

const decode = (params: unknown) => {
  const problems: string[] = [];
  const decoded = decodeUIGenerationParams(params, problems);
  return problems.length > 0 ? problems : decoded;
};

describe('decodeUIGenerationParams', () => {
  it('takes the generation params by their own names, absent or null meaning none', () => {
    expect(decode({ maxTokens: 5, temperature: 1.5, topP: 0.5, stop: 'x', seed: 3 })).toEqual({ maxTokens: 5, temperature: 1.5, topP: 0.5, stop: ['x'], seed: 3 });
    expect(decode(undefined)).toEqual({});
    expect(decode(null)).toEqual({});
  });

  it('names every problem by the param\'s own name, unknown fields included', () => {
    expect(decode({ maxTokens: 0, topP: 2, max_tokens: 3 })).toEqual([
      'params.max_tokens is not a generation param (maxTokens, temperature, topP, stop, seed)',
      'params.maxTokens must be an integer from 1 to 1000000',
      'params.topP must be a number from 0 to 1',
    ]);
    expect(decode('fast')).toEqual(['params must be an object { maxTokens?, temperature?, topP?, stop?, seed? }']);
  });
});

describe('POST /api/chat with params', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });
  const KEY = 'chat-params-key';
  const body = (params: unknown) => ({ id: 'c1', trigger: 'submit-message', messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Go' }] }], params });
  const text = (raw: string) => raw.split('\n').filter((line) => line.startsWith('data: {'))
    .map((line) => JSON.parse(line.slice(6)) as { type: string; delta?: string })
    .filter((chunk) => chunk.type === 'text-delta').map((chunk) => chunk.delta).join('');

  it('passes the params to the experts', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a', answer: 'one two three four' })], guard: noGuard }, { apiKey: KEY });
    const cut = await postJson(`${running.origin}/api/chat`, body({ maxTokens: 2 }), { authorization: `Bearer ${KEY}` });
    expect(cut.status).toBe(200);
    expect(text(await cut.text())).toBe('one two');
    const whole = await postJson(`${running.origin}/api/chat`, body(undefined), { authorization: `Bearer ${KEY}` });
    expect(text(await whole.text())).toBe('one two three four');
  });

  it('answers 400 with the conversation\'s and the params\' problems together', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] }, { apiKey: KEY });
    const response = await postJson(`${running.origin}/api/chat`, { messages: [], params: { seed: 1.5 } }, { authorization: `Bearer ${KEY}` });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: {
      type: 'invalid_request_error', code: 'invalid_request',
      message: 'messages must be a non-empty array of UI messages { id, role, parts }; params.seed must be an integer',
    } });
  });
});
