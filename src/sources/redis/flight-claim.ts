/**
 * `claimFlight(key, takeover, deps)`: one replica's claim on the shared execution of `key`.
 *
 * `SET <lock> <replicaId>/<flightId> NX PX lockTtlMs`:
 * - won: this replica leads. It appends to its own log (`…:log:<flightId>`), renews the lock
 *   (and the log's expiry) every lockTtlMs / 3 while it still holds it, and on unsubscribe
 *   sends what is pending, deletes the lock if it is still its own, marks the log `abandoned`
 *   when `end` was never appended, and sets the log's expiry (one script, after the appends).
 * - lost: `GET <lock>` names the leader's flight; this replica follows that log. A lock that
 *   vanished in between (the leader just ended) is claimed again, at most 3 times.
 *
 * Errors (CoordinationError) only before it emits: Redis unreachable, or too slow.
 */
import { randomBytes } from 'node:crypto';
import { Observable, firstValueFrom } from 'rxjs';
import type { FlightClaim, FlightRecord } from '../../ports';
import { CoordinationError, coordinationError } from './coordination-error';
import type { RedisConnection } from './connection';
import { logAppender, readLog, type LogSettings } from './flight-log';
import { flightIdOf, lockValue, type RedisKeys } from './keys';
import { encodeBatch } from './record-codec';

/** What a claim needs. */
export interface ClaimDeps {
  readonly connection: RedisConnection;
  readonly keys: RedisKeys;
  readonly replicaId: string;
  readonly lockTtlMs: number;
  readonly settings: LogSettings;
  readonly onError: (error: CoordinationError) => void;
}

/** KEYS: lock, log. ARGV: value, lockTtlMs, logTtlMs. 1 when the lock was still ours. */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;

/** KEYS: lock, log. ARGV: value, abandoned batch or '', maxLen, logTtlMs. */
const FINISH_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if ARGV[2] ~= '' then redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'r', ARGV[2]) end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1`;

const MAX_CLAIM_TRIES = 3;

/** The leader's side of a claim: appending, renewing, and finishing. */
const lead = (lockKey: string, logKey: string, value: string, deps: ClaimDeps) => {
  const { connection, settings, lockTtlMs, onError } = deps;
  const appender = logAppender(connection, logKey, settings);
  let ended = false;
  const renewal = setInterval(() => {
    connection.run('renew', (client) => client.eval(RENEW_SCRIPT, {
      keys: [lockKey, logKey], arguments: [value, String(lockTtlMs), String(settings.streamTtlMs)],
    })).subscribe({
      next: (held) => {
        if (held === 1) return;
        clearInterval(renewal);
        onError(new CoordinationError('renew', 'the flight lock was lost (expired or taken over); answering on without it'));
      },
      error: (error: unknown) => onError(coordinationError('renew', error)),
    });
  }, Math.max(1, Math.floor(lockTtlMs / 3)));
  return {
    append: (record: FlightRecord): void => {
      if (ended) return;
      if (record.kind === 'end') ended = true;
      appender.append(record);
    },
    finish: (): void => {
      clearInterval(renewal);
      appender.flush();
      const abandoned = ended ? '' : encodeBatch([{ kind: 'abandoned' }]);
      ended = true;
      connection.send('release', (client) => client.eval(FINISH_SCRIPT, {
        keys: [lockKey, logKey], arguments: [value, abandoned, String(settings.streamMaxLen), String(settings.streamTtlMs)],
      }));
    },
  };
};

/** Claims `key`: emits the leader or follower role once; see the file comment. */
export const claimFlight = (key: string, takeover: boolean, deps: ClaimDeps): Observable<FlightClaim> =>
  new Observable<FlightClaim>((subscriber) => {
    const { connection, keys, replicaId } = deps;
    const lockKey = keys.lock(key);
    const flightId = randomBytes(8).toString('hex');
    const value = lockValue(replicaId, flightId);
    let leadership: ReturnType<typeof lead> | undefined;
    let stopped = false;

    const attempt = async (tries: number): Promise<void> => {
      const won = await firstValueFrom(connection.run('claim', (client) =>
        client.set(lockKey, value, { condition: 'NX', expiration: { type: 'PX', value: deps.lockTtlMs } })));
      if (won === 'OK') {
        leadership = lead(lockKey, keys.log(key, flightId), value, deps);
        if (stopped) return leadership.finish();
        const { append } = leadership;
        subscriber.next({ role: 'leader', takeover, append });
        return;
      }
      const owner = await firstValueFrom(connection.run('claim', (client) => client.get(lockKey)));
      if (stopped) return;
      if (owner === null) {
        if (tries >= MAX_CLAIM_TRIES) throw new CoordinationError('claim', 'the flight lock kept changing hands');
        return attempt(tries + 1);
      }
      const leaderFlight = flightIdOf(owner);
      if (leaderFlight === undefined) throw new CoordinationError('decode', 'malformed flight lock value');
      subscriber.next({ role: 'follower', records: readLog(connection, keys.log(key, leaderFlight), lockKey, owner, deps.settings) });
    };

    attempt(1).catch((error: unknown) => {
      if (!stopped) subscriber.error(coordinationError('claim', error));
    });
    return () => {
      stopped = true;
      leadership?.finish();
    };
  });
