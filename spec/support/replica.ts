/**
 * A tiny replica of a scaled-out service, for the multi-process tests and the bench:
 *
 *     node --import tsx spec/support/replica.ts
 *
 * Environment: REDIS_URL, NAMESPACE, REPLICA_ID; optional EXPERT_FIRST_MS (default 20),
 * EXPERT_TOKEN_MS (default 25), LONG_WORDS (default 400), LOCK_TTL_MS (default 2000).
 *
 * It builds a DialoguePlugin with three simulated experts (real delays; a prompt containing
 * "[long]" gets a LONG_WORDS-word answer), `redisCache` and `redisCoordinator`, and speaks JSON lines:
 *
 *     stdin  {cmd:'process', prompt, requestId}   stdout {type:'event', requestId, event} ... up to the terminal event
 *     stdin  {cmd:'cancel', id, ref}              stdout {type:'cancel', ref, id, here, at}
 *     stdin  {cmd:'cancelAnywhere', id, ref}      stdout {type:'cancelAnywhere', ref, id, result, at, ms}
 *     stdin  {cmd:'stats', ref}                   stdout {type:'stats', ref, stats: {expertId: SimulatedExpertStats}}
 *     stdin  {cmd:'close', ref}                   stdout {type:'closed', ref}, then exits
 *     stdout {type:'ready', replicaId} once, {type:'teardown', expertId, requestId, at} when an expert is
 *            unsubscribed before its end, {type:'system-error', stage, message} for onSystemError.
 *
 * Every `at` is {@link sharedNow}: epoch milliseconds with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`), comparable between processes on one machine.
 */
import { createInterface } from 'node:readline';
import { Observable } from 'rxjs';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { Expert, ExpertTask } from '../../src/ports';
import { redisCache } from '../../src/sources/redis-cache';
import { redisCoordinator } from '../../src/sources/redis-coordinator';
import { simulatedExpert, type SimulatedExpert } from '../../src/sources/simulated-expert';

/** Epoch ms with sub-ms precision, on the clock every process of this machine shares. */
export const sharedNow = (): number => performance.timeOrigin + performance.now();

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`replica: ${name} is not set`);
  return value;
};

const write = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

const longAnswer = (id: string, words: number): string => Array.from({ length: words }, (_, i) => `${id}${i}`).join(' ');

/** Reports when a subscription to the expert ends before the expert does (a cancellation reached it), once torn down. */
const watched = (expert: SimulatedExpert): Expert => ({
  ...expert,
  stream: (task: ExpertTask): Observable<string> => new Observable<string>((subscriber) => {
    let ended = false;
    const inner = expert.stream(task).subscribe({
      next: (token) => subscriber.next(token),
      error: (error: unknown) => {
        ended = true;
        subscriber.error(error);
      },
      complete: () => {
        ended = true;
        subscriber.complete();
      },
    });
    return () => {
      inner.unsubscribe();
      if (!ended) write({ type: 'teardown', expertId: expert.id, requestId: task.requestId, at: sharedNow() });
    };
  }),
});

const main = (): void => {
  const url = env('REDIS_URL');
  const namespace = env('NAMESPACE');
  const replicaId = env('REPLICA_ID');
  const first = Number(env('EXPERT_FIRST_MS', '20'));
  const every = Number(env('EXPERT_TOKEN_MS', '25'));
  const longWords = Number(env('LONG_WORDS', '400'));
  const experts = ['alpha', 'beta', 'gamma'].map((id) => simulatedExpert({
    id, firstTokenDelayMs: first, tokenDelayMs: every,
    answer: (prompt) => (prompt.includes('[long]') ? longAnswer(id, longWords) : `${id} says: ${prompt} is answered in twelve plain words here.`),
  }));
  const plugin = new DialoguePlugin({
    experts: experts.map(watched),
    cache: redisCache({ url, namespace: `${namespace}:cache` }),
    coordination: redisCoordinator({ url, namespace: `${namespace}:coord`, replicaId, lockTtlMs: Number(env('LOCK_TTL_MS', '2000')) }),
    timeouts: { cacheMs: 200 },
    onSystemError: (error, context) => write({ type: 'system-error', stage: context.stage, message: error instanceof Error ? error.message : String(error) }),
  });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = JSON.parse(line) as { cmd: string; ref?: number; prompt?: string; requestId?: string; id?: string };
    const { ref } = command;
    switch (command.cmd) {
      case 'process':
        plugin.process(command.prompt ?? '', { requestId: command.requestId }).subscribe((event) => write({ type: 'event', requestId: command.requestId, event }));
        return;
      case 'cancel': {
        const at = sharedNow();
        const here = plugin.cancel(command.id ?? '');
        write({ type: 'cancel', ref, id: command.id, here, at });
        return;
      }
      case 'cancelAnywhere': {
        const at = sharedNow();
        void plugin.cancelAnywhere(command.id ?? '').then((result) => write({ type: 'cancelAnywhere', ref, id: command.id, result, at, ms: sharedNow() - at }));
        return;
      }
      case 'stats':
        write({ type: 'stats', ref, stats: Object.fromEntries(experts.map((e) => [e.id, { ...e.stats }])) });
        return;
      case 'close':
        lines.close();
        void plugin.close().finally(() => {
          write({ type: 'closed', ref });
          process.exit(0);
        });
        return;
      default:
        write({ type: 'unknown', ref, cmd: command.cmd });
    }
  });
  // The test ends our stdin when it is done with us (or dies): then leave.
  lines.on('close', () => void plugin.close().finally(() => process.exit(0)));
  write({ type: 'ready', replicaId });
};

main();
