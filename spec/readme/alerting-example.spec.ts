/**
 * The Sentry example of the tracing and alerting notes (docs/DESIGN-NOTES.md, "Tracing"), run
 * against a stub of `@sentry/node`'s `captureException` (no dependency): what Sentry would get.
 */
import { throwError } from 'rxjs';
import { DialoguePlugin, ExpertError, simulatedExpert, type Expert } from '../../src/index';

type SentryApi = Pick<typeof import('./stubs/sentry-node'), 'captureException'>;
const captured: Array<Parameters<SentryApi['captureException']>> = [];
const Sentry: SentryApi = { captureException: (error, hint) => { captured.push([error, hint]); return 'event-id'; } };

const KEY = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX0123456789';
const failing: Expert = { id: 'gpt', model: 'gpt-4o-mini', version: '1', stream: () => throwError(() => new ExpertError('gpt', `invalid key ${KEY}`, { status: 401 })) };
const experts = [failing, simulatedExpert({ id: 'backup', answer: 'Still answered.' })];

// #region example
const plugin = new DialoguePlugin({
  experts,
  tracing: true, // spans from the OpenTelemetry provider you registered; omit (default) for none
  onSystemError: (error, { requestId, stage, tenant }) =>
    Sentry.captureException(error, { tags: { requestId, stage, tenant: tenant ?? 'none' } }),
});
// #endregion example

describe('alerting example (Sentry)', () => {
  afterAll(() => plugin.close());

  it('sends Sentry the redacted error tagged with request id, stage and tenant', async () => {
    await expect(plugin.ask('Hello', { requestId: 'r1', tenant: 'acme' })).resolves.toBe('Still answered.');
    expect(captured).toHaveLength(1);
    const [[error, hint]] = captured;
    expect(hint).toEqual({ tags: { requestId: 'r1', stage: 'expert:gpt', tenant: 'acme' } });
    expect(error).toEqual(expect.objectContaining({ _tag: 'ExpertError', status: 401 }));
    expect((error as Error).message).toBe('invalid key [REDACTED:api-key]');
    expect(`${(error as Error).stack}`).not.toContain(KEY);
  });
});
