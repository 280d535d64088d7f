import { inspect } from 'node:util';
import { ExpertError } from '../../src/errors';
import { defaultGuard } from '../../src/strategies/output-guard';
import { redactedError } from '../../src/strategies/redacted-error';

const KEY = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX0123456789';
const guard = defaultGuard();
const redact = (text: string): string => guard.apply(text);

describe('redactedError', () => {
  it('redacts the message, stack, cause and nested errors, keeping the class and its fields', () => {
    const inner = new ExpertError('a', `upstream said: invalid key ${KEY}`, { status: 401 });
    const error = new AggregateError([inner], 'All 1 experts failed', { cause: new Error(`with ${KEY}`) });
    const safe = redactedError(error, redact) as AggregateError;
    expect(safe).toBeInstanceOf(AggregateError);
    expect(safe.message).toBe('All 1 experts failed');
    expect(ExpertError.isInstance(safe.errors[0])).toBe(true);
    expect(safe.errors[0]).toEqual(expect.objectContaining({ _tag: 'ExpertError', expertId: 'a', status: 401 }));
    expect((safe.errors[0] as Error).message).toMatch(/^upstream said: invalid key \[REDACTED/);
    expect(inspect(safe, { depth: 6 })).not.toContain(KEY);
    expect(inspect(error, { depth: 6 })).toContain(KEY); // the original is left alone
  });

  it('returns an error with nothing to redact as it is, and redacts a string', () => {
    const plain = new Error('HTTP 503');
    expect(redactedError(plain, redact)).toBe(plain);
    expect(redactedError(`key ${KEY}`, redact)).not.toContain(KEY);
  });

  it('redacts own fields and a non-Error cause, as an alerting SDK would serialize them', () => {
    const error = Object.assign(new Error('Request failed'), {
      status: 401,
      body: `{"error": "invalid key ${KEY}"}`,
      request: { headers: { authorization: `Bearer ${KEY}` }, retries: [1, `again with ${KEY}`] },
      response: new Headers({ 'x-key': KEY }),
    });
    (error as Error & { cause?: unknown }).cause = { message: `caused by ${KEY}` };
    const safe = redactedError(error, redact) as Error & Record<string, unknown>;
    expect(safe).not.toBe(error);
    expect(safe.status).toBe(401);
    expect(safe.message).toBe('Request failed');
    expect(safe.response).toBe('[Headers]');
    expect(JSON.stringify({ ...safe, cause: safe.cause })).not.toContain(KEY);
    expect(inspect(safe, { depth: 8 })).not.toContain(KEY);
    expect(String(safe.body)).toContain('[REDACTED:');
  });

  it('returns the same error when only its fields hold nothing secret, and bounds the depth', () => {
    const clean = Object.assign(new Error('HTTP 503'), { status: 503, detail: { retry: true } });
    expect(redactedError(clean, redact)).toBe(clean);
    const deep = Object.assign(new Error('deep'), { a: { b: { c: { d: { e: KEY } } } } });
    expect(inspect(redactedError(deep, redact), { depth: 10 })).not.toContain(KEY);
  });
});
