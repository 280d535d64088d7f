/** What `onSystemError` is handed: the request id, the stage, the tenant, and a redacted error. */
import { inspect } from 'node:util';
import { throwError } from 'rxjs';
import { ExpertError } from '../../src/errors';
import type { Expert, SystemErrorContext } from '../../src/ports';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { newScheduler, record } from '../support/virtual-time';

const KEY = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX0123456789';
const leaky: Expert = {
  id: 'leaky', model: 'm', version: '1',
  stream: () => throwError(() => new ExpertError('leaky', `upstream said: invalid key ${KEY}`, { status: 401 })),
};

describe('onSystemError', () => {
  it('gets the request id, the stage and the tenant, and an error with the key redacted', () => {
    const calls: Array<{ error: unknown; context: SystemErrorContext }> = [];
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({ experts: [leaky], onSystemError: (error, context) => calls.push({ error, context }) });
      record(plugin.process('Hi', { requestId: 'r1', tenant: 'acme' }));
      flush();
    });
    const plan = expect.objectContaining({ tasks: [expect.objectContaining({ expertId: 'leaky' })] });
    // The expert's own failure (its stage names the expert), then the request's (every expert failed).
    expect(calls.map((call) => call.context)).toEqual([
      { requestId: 'r1', stage: 'expert:leaky', tenant: 'acme', plan },
      { requestId: 'r1', stage: 'execution', tenant: 'acme', plan },
    ]);
    expect(calls[0].error).toEqual(expect.objectContaining({ _tag: 'ExpertError', expertId: 'leaky', status: 401 }));
    expect((calls[0].error as Error).message).toBe('upstream said: invalid key [REDACTED:api-key]');
    expect(inspect(calls[0].error, { depth: 6 })).not.toContain(KEY);
    const { error } = calls[1];
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([expect.objectContaining({ _tag: 'ExpertError', expertId: 'leaky', status: 401 })]);
    expect(((error as AggregateError).errors[0] as Error).message).toContain('[REDACTED');
    expect(inspect(error, { depth: 6 })).not.toContain(KEY);
  });

  it('leaves the tenant out when the caller named none', () => {
    const contexts: SystemErrorContext[] = [];
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({ experts: [leaky], onSystemError: (_error, context) => contexts.push(context) });
      record(plugin.process('Hi', { requestId: 'r2' }));
      flush();
    });
    expect(contexts).toEqual([expect.objectContaining({ requestId: 'r2', stage: 'expert:leaky' }), expect.objectContaining({ requestId: 'r2', stage: 'execution' })]);
    expect(contexts.some((context) => 'tenant' in context)).toBe(false);
  });

  it('redacts a key-shaped request id in the context, as the server log does', () => {
    const contexts: SystemErrorContext[] = [];
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({ experts: [leaky], onSystemError: (_error, context) => contexts.push(context) });
      record(plugin.process('Hi', { requestId: KEY, tenant: 'acme' }));
      flush();
    });
    expect(contexts.map((context) => [context.requestId, context.stage, context.tenant])).toEqual([
      ['[REDACTED:api-key]', 'expert:leaky', 'acme'], ['[REDACTED:api-key]', 'execution', 'acme'],
    ]);
  });
});

