/**
 * Per-tenant admission: at most `concurrent` requests of one tenant at once, and `perMinute`
 * requests a minute (a token bucket of `perMinute` tokens refilled evenly over a minute, so a
 * quiet tenant may burst up to the whole minute's share). Beyond either: a 429 with `Retry-After`
 * in OpenAI's error shape. State exists only for tenants that were admitted (callers admit only
 * authenticated tenants, whose number the configured keys bound): two numbers and a time each.
 */
import { HttpError } from '../http-error';

/** The `tenantLimits` option. `Infinity` turns a limit off. */
export interface TenantLimitOptions {
  /** Requests of one tenant in flight at once; default 16. */
  readonly concurrent?: number;
  /** Requests of one tenant a minute; default 300. */
  readonly perMinute?: number;
}

/** The limits after defaults. */
export interface ResolvedTenantLimits { readonly concurrent: number; readonly perMinute: number }

/** The defaults. */
export const DEFAULT_TENANT_LIMITS: ResolvedTenantLimits = { concurrent: 16, perMinute: 300 };

/** Which limit refused a request (the `limit` label of `dialogue_tenant_limited_total`). */
export type LimitName = 'concurrent' | 'rate';

/** Admission of a tenant's requests. */
export interface TenantLimits {
  /** Takes a slot for `tenant` and returns its release (safe to call more than once); throws the 429 when a limit is reached. */
  admit(tenant: string): () => void;
  /** How many tenants have state (for tests and curiosity). */
  readonly size: number;
}

interface Bucket { active: number; tokens: number; at: number }

const MINUTE_MS = 60_000;

const refused = (limit: LimitName, retryAfterS: number, tenantLimits: ResolvedTenantLimits): HttpError => (limit === 'concurrent'
  ? new HttpError(429, `Too many requests in flight for this API key (limit ${tenantLimits.concurrent}); retry when one has ended`, 'concurrency_limit_exceeded', { 'retry-after': String(retryAfterS) })
  : new HttpError(429, `Rate limit reached for this API key: ${tenantLimits.perMinute} requests per minute; retry in ${retryAfterS}s`, 'rate_limit_exceeded', { 'retry-after': String(retryAfterS) }));

/** Limits with `now` (ms) as the clock; `onLimited` is told about every refusal. */
export const createTenantLimits = (limits: ResolvedTenantLimits, now: () => number, onLimited: (tenant: string, limit: LimitName) => void): TenantLimits => {
  const buckets = new Map<string, Bucket>();
  const perMs = limits.perMinute / MINUTE_MS;
  const refill = (bucket: Bucket, at: number): void => {
    if (limits.perMinute === Infinity) return;
    bucket.tokens = Math.min(limits.perMinute, bucket.tokens + Math.max(0, at - bucket.at) * perMs);
    bucket.at = at;
  };
  const admit = (tenant: string): (() => void) => {
    const at = now();
    const bucket = buckets.get(tenant) ?? { active: 0, tokens: limits.perMinute, at };
    refill(bucket, at);
    if (bucket.active >= limits.concurrent) {
      onLimited(tenant, 'concurrent');
      throw refused('concurrent', 1, limits);
    }
    if (bucket.tokens < 1) {
      onLimited(tenant, 'rate');
      throw refused('rate', Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)), limits);
    }
    bucket.tokens -= 1;
    bucket.active += 1;
    buckets.set(tenant, bucket);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      bucket.active -= 1;
      refill(bucket, now());
      // A tenant at rest with a full bucket is the same as one never seen: forget it.
      if (bucket.active === 0 && bucket.tokens >= limits.perMinute) buckets.delete(tenant);
    };
  };
  return { admit, get size() { return buckets.size; } };
};

const positive = (value: unknown): boolean => typeof value === 'number' && (value === Infinity || (Number.isSafeInteger(value) && value > 0));

/** Problems with the `tenantLimits` option. */
export const tenantLimitsProblems = (value: unknown): string[] => {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null) return ['tenantLimits must be an object { concurrent?, perMinute? }'];
  const { concurrent, perMinute } = value as Record<string, unknown>;
  return [
    ...(concurrent === undefined || positive(concurrent) ? [] : ['tenantLimits.concurrent must be a positive integer or Infinity']),
    ...(perMinute === undefined || positive(perMinute) ? [] : ['tenantLimits.perMinute must be a positive integer or Infinity']),
  ];
};
