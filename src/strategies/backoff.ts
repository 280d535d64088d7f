/** Retry delays: exponential backoff with full jitter and a cap, `Retry-After` honoured. */

/** Options for {@link backoffDelay}. */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay window, in ms. */
  readonly baseDelayMs: number;
  /** No delay exceeds this, `Retry-After` included. */
  readonly maxDelayMs: number;
  /** Server-requested wait (from `Retry-After`); wins over the jittered delay, capped at maxDelayMs. NaN counts as absent. */
  readonly retryAfterMs?: number;
  /** Uniform source in [0, 1). Default: Math.random; pass {@link seededRandom} for reproducible runs. */
  readonly random?: () => number;
}

/**
 * The delay before retry number `attempt` (1-based): `floor(random() * min(maxDelayMs,
 * baseDelayMs * 2 ** (attempt - 1)))` ("full jitter"), or `min(retryAfterMs, maxDelayMs)` when
 * the server asked for a wait. Throws a RangeError for an attempt below 1 or negative delays.
 */
export const backoffDelay = (attempt: number, { baseDelayMs, maxDelayMs, retryAfterMs, random = Math.random }: BackoffOptions): number => {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`backoffDelay: attempt must be an integer >= 1, got ${attempt}`);
  if (!(baseDelayMs >= 0) || !(maxDelayMs >= 0)) {
    throw new RangeError(`backoffDelay: baseDelayMs and maxDelayMs must be >= 0, got ${baseDelayMs} and ${maxDelayMs}`);
  }
  if (retryAfterMs !== undefined && !Number.isNaN(retryAfterMs)) return Math.min(maxDelayMs, Math.max(0, Math.ceil(retryAfterMs)));
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  // The outer min only guards against a `random` that returns 1.
  return Math.min(Math.floor(random() * ceiling), Math.max(0, Math.ceil(ceiling) - 1));
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
/** Obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
/** Obsolete asctime: `Sun Nov  6 08:49:37 1994`. */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`, 'i');

const utc = (year: number, month: string, day: number, h: number, m: number, s: number): number | undefined => {
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  if (day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, monthIndex, day, h, m, s);
  return new Date(ms).getUTCDate() === day || s === 60 ? ms : undefined; // rejects 31 Feb
};

/** The instant an HTTP-date names (the three formats of RFC 9110 section 5.6.7), or undefined. */
const parseHttpDate = (value: string, nowMs: number): number | undefined => {
  let match = IMF.exec(value);
  if (match !== null) {
    const [, d, mon, y, h, m, s] = match;
    return utc(Number(y), mon!, Number(d), Number(h), Number(m), Number(s));
  }
  match = RFC850.exec(value);
  if (match !== null) {
    const [, d, mon, yy, h, m, s] = match;
    // Two-digit years: more than 50 years ahead means the previous century (RFC 9110).
    let year = 2000 + Number(yy);
    if (year > new Date(nowMs).getUTCFullYear() + 50) year -= 100;
    return utc(year, mon!, Number(d), Number(h), Number(m), Number(s));
  }
  match = ASCTIME.exec(value);
  if (match !== null) {
    const [, mon, d, h, m, s, y] = match;
    return utc(Number(y), mon!, Number(d!.trim()), Number(h), Number(m), Number(s));
  }
  return undefined;
};

/**
 * Reads an HTTP `Retry-After` header value as a wait in ms: delta-seconds ('120' -> 120000) or
 * an HTTP-date (its distance from `nowMs`, never negative). Missing or malformed: undefined.
 */
export const parseRetryAfter = (value: string | null | undefined, nowMs: number): number | undefined => {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds * 1000) ? seconds * 1000 : undefined;
  }
  const at = parseHttpDate(text, nowMs);
  return at === undefined ? undefined : Math.max(0, at - nowMs);
};

/**
 * A small deterministic PRNG (mulberry32) returning numbers in [0, 1); the same seed gives the
 * same sequence. For tests and reproducible runs, e.g. `backoffDelay(n, { ..., random: seededRandom(7) })`.
 */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};
