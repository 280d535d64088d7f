/**
 * The wire format of a flight log entry: one stream entry holds a batch of records as JSON in
 * its `r` field. Besides the port's {@link FlightRecord}s, the log may hold `abandoned`, written
 * when a leader gives up its claim before `end` (its last local participant left).
 * Decoding checks every field: a log written by an incompatible version is a broken log, not
 * a source of malformed events.
 */
import * as E from 'fp-ts/Either';
import type { FlightRecord, SharedEvent } from '../../ports';

/** What a log entry can hold. */
export type LogRecord = FlightRecord | { readonly kind: 'abandoned' };

/** The field of a stream entry that holds the batch. */
export const RECORDS_FIELD = 'r';

/** One entry's field value for a batch of records. */
export const encodeBatch = (records: readonly LogRecord[]): string => JSON.stringify(records);

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

const EVENT_CHECKS: Readonly<Record<string, (event: Fields) => boolean>> = {
  token: (e) => isString(e.source) && isString(e.text),
  retry: (e) => isString(e.source) && isCount(e.attempt) && isCount(e.maxRetries) && isCount(e.delayMs) && isString(e.reason) && typeof e.discard === 'boolean',
  status: (e) => isString(e.message),
  expert: (e) => isString(e.expertId) && ['ok', 'failed', 'cancelled'].includes(e.outcome as string) && isCount(e.ms) && isCount(e.tokens)
    && (e.error === undefined || isString(e.error)),
  error: (e) => isObject(e.error) && isString(e.error.kind) && isString(e.error.message) && typeof e.error.user === 'boolean',
};

const decodeEvent = (value: unknown): E.Either<string, SharedEvent> => {
  if (!isObject(value) || !isString(value.type)) return E.left('event without a type');
  const check = EVENT_CHECKS[value.type];
  if (check === undefined) return E.left(`event type "${value.type}" cannot be shared`);
  return check(value) ? E.right(value as unknown as SharedEvent) : E.left(`malformed "${value.type}" event`);
};

const decodeRecord = (value: unknown): E.Either<string, LogRecord> => {
  if (!isObject(value)) return E.left('record is not an object');
  switch (value.kind) {
    case 'event':
      return E.map((event: SharedEvent): LogRecord => ({ kind: 'event', event }))(decodeEvent(value.event));
    case 'answer':
      return isString(value.text) && typeof value.degraded === 'boolean'
        ? E.right({ kind: 'answer', text: value.text, degraded: value.degraded })
        : E.left('malformed answer record');
    case 'reset':
      return isString(value.reason) ? E.right({ kind: 'reset', reason: value.reason }) : E.left('malformed reset record');
    case 'end':
      return E.right({ kind: 'end' });
    case 'abandoned':
      return E.right({ kind: 'abandoned' });
    default:
      return E.left(`unknown record kind ${JSON.stringify(value.kind)}`);
  }
};

/** Right(records) for a well-formed entry field, Left(problem) otherwise. */
export const decodeBatch = (field: unknown): E.Either<string, readonly LogRecord[]> => {
  if (!isString(field)) return E.left(`entry without a "${RECORDS_FIELD}" field`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(field);
  } catch {
    return E.left('entry is not JSON');
  }
  if (!Array.isArray(parsed)) return E.left('entry is not a batch');
  const records: LogRecord[] = [];
  for (const value of parsed) {
    const decoded = decodeRecord(value);
    if (E.isLeft(decoded)) return decoded;
    records.push(decoded.right);
  }
  return E.right(records);
};
