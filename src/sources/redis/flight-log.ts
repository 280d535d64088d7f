/**
 * A flight's log in a Redis Stream: the leader appends batches of records (`XADD MAXLEN ~`,
 * refreshing the stream's PEXPIRE), and each follower replays it from the start, then live,
 * with `XREAD BLOCK` on a connection of its own (a blocking read blocks its connection).
 *
 * A follower decides the leader is lost when a blocking read brings nothing new, the lock no
 * longer holds the leader's value, and one more (non-blocking) read still brings nothing: the
 * leader writes its last records before it deletes its lock, so a leader that ended cleanly is
 * never taken for a lost one.
 */
import * as E from 'fp-ts/Either';
import { Observable } from 'rxjs';
import type { FlightRecord } from '../../ports';
import { CoordinationError } from './coordination-error';
import { within, type RedisClient, type RedisConnection } from './connection';
import { RECORDS_FIELD, decodeBatch, encodeBatch, type LogRecord } from './record-codec';

/** Timing and size settings of flight logs. */
export interface LogSettings {
  readonly blockMs: number;
  readonly opTimeoutMs: number;
  readonly streamMaxLen: number;
  readonly streamTtlMs: number;
}

/** KEYS: log. ARGV: maxLen, batch, ttlMs. */
const APPEND_SCRIPT = `
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', '${RECORDS_FIELD}', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/** Appends records in batches: the records given in one turn of the event loop go in one entry, in order. */
export interface LogAppender {
  append(record: LogRecord): void;
  /** Sends what is pending now (before a command that must come after it). */
  flush(): void;
}

/** The leader's side of the log at `logKey`. */
export const logAppender = (connection: RedisConnection, logKey: string, settings: LogSettings): LogAppender => {
  let pending: LogRecord[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  const flush = (): void => {
    if (scheduled !== undefined) clearImmediate(scheduled);
    scheduled = undefined;
    if (pending.length === 0) return;
    const batch = encodeBatch(pending);
    pending = [];
    connection.send('append', (client) => client.eval(APPEND_SCRIPT, {
      keys: [logKey], arguments: [String(settings.streamMaxLen), batch, String(settings.streamTtlMs)],
    }));
  };
  return {
    append: (record) => {
      pending.push(record);
      scheduled ??= setImmediate(flush);
    },
    flush,
  };
};

type ReadReply = { messages: { id: string; message: Record<string, string> }[] }[] | null;

const xRead = (reader: RedisClient, logKey: string, lastId: string, blockMs?: number): Promise<ReadReply> =>
  reader.xRead({ key: logKey, id: lastId }, blockMs === undefined ? { COUNT: 128 } : { COUNT: 128, BLOCK: blockMs }) as unknown as Promise<ReadReply>;

/**
 * The follower's side: the records of the log at `logKey`, from the start, then live. Completes
 * after `end`; errors (CoordinationError) when the leader is lost (`abandoned`, or silent with
 * its lock gone), when the log is malformed, or when Redis fails. Unsubscribing closes the
 * reader's connection at once, also in the middle of a blocking read.
 */
export const readLog = (connection: RedisConnection, logKey: string, lockKey: string, leader: string, settings: LogSettings): Observable<FlightRecord> =>
  new Observable<FlightRecord>((subscriber) => {
    let reader: RedisClient | undefined;
    let stopped = false;
    const leaderHolds = async (client: RedisClient): Promise<boolean> =>
      (await within(client.get(lockKey), settings.opTimeoutMs, 'read')) === leader;

    const run = async (): Promise<void> => {
      const client = await connection.dedicated('read', false);
      reader = client;
      let lastId = '0-0';
      while (!stopped) {
        let reply = await within(xRead(client, logKey, lastId, settings.blockMs), settings.blockMs + settings.opTimeoutMs, 'read');
        if (stopped) return;
        if (reply === null) {
          if (await leaderHolds(client)) continue;
          reply = await within(xRead(client, logKey, lastId), settings.opTimeoutMs, 'read');
          if (reply === null) throw new CoordinationError('lost', 'the leader stopped writing and no longer holds its lock');
        }
        for (const { id, message } of reply[0]?.messages ?? []) {
          lastId = id;
          const batch = decodeBatch(message[RECORDS_FIELD]);
          if (E.isLeft(batch)) throw new CoordinationError('decode', `malformed flight log entry: ${batch.left}`);
          for (const record of batch.right) {
            if (stopped) return;
            if (record.kind === 'abandoned') throw new CoordinationError('lost', 'the leader left before the end');
            subscriber.next(record);
            if (record.kind === 'end') {
              subscriber.complete();
              return;
            }
          }
        }
      }
    };

    run()
      .catch((error: unknown) => {
        if (!stopped) subscriber.error(error);
      })
      .finally(() => {
        if (reader?.isOpen === true) reader.destroy();
      });
    return () => {
      stopped = true;
      if (reader?.isOpen === true) reader.destroy();
    };
  });
