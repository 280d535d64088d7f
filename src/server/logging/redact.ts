/**
 * The server's redaction of everything it logs: the library's default output guard
 * (`defaultGuard().apply`: API keys, bearer tokens, JWTs, private keys, e-mail addresses, ...), on
 * every string of a log record and again on the serialized line.
 */
import { defaultGuard } from '../../index';

const guard = defaultGuard();

/** `text` with every secret-shaped part replaced (`[REDACTED:...]`). */
export const redact = (text: string): string => guard.apply(text);

const MAX_DEPTH = 8;

/** `value` with every string in it redacted (objects and arrays copied; deeper than 8 levels: dropped). */
export const redactDeep = (value: unknown, depth = 0): unknown => {
  if (typeof value === 'string') return redact(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [redact(key), redactDeep(item, depth + 1)]));
};

/**
 * A serialized JSON log line, redacted: unchanged when the redactor finds nothing in it (the usual
 * case, since the record's strings were redacted already); otherwise parsed, redacted string by
 * string and serialized again, so the line stays valid JSON.
 */
export const redactLine = (line: string): string => {
  if (redact(line) === line) return line;
  try {
    return `${JSON.stringify(redactDeep(JSON.parse(line)))}\n`;
  } catch {
    return `${JSON.stringify({ msg: 'log line withheld: it could not be redacted' })}\n`;
  }
};
