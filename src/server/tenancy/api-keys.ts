/**
 * API keys and their tenants. Keys are kept only as SHA-256 digests; a presented key is hashed and
 * compared with `timingSafeEqual` against EVERY stored digest, with no early exit, so neither the
 * key's content, its length, nor whether it is known, unknown or which one it is shows in the time
 * a check takes. Without keys the server is open and everyone is the tenant {@link DEFAULT_TENANT}.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** What an API key opens: the tenant it acts for. */
export interface ApiKeyGrant { readonly tenant: string }

/** The `apiKeys` option: key -> tenant. */
export type ApiKeys = Readonly<Record<string, ApiKeyGrant>>;

/** The tenant of the single `apiKey` option, and of everyone when no key is configured. */
export const DEFAULT_TENANT = 'default';

/** Tenant names: 1-64 letters, digits, `.`, `_` or `-`, starting with a letter or digit (no `/`: it separates tenant and scope). */
export const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** API keys: 1-1024 printable ASCII characters without spaces (what fits a `Bearer` header). */
export const API_KEY_PATTERN = /^[\x21-\x7e]{1,1024}$/;

/** Checks the `Authorization` header: the caller's tenant, or undefined for a missing, malformed or unknown key. */
export interface KeyRing {
  /** True when no key is configured: every caller is {@link DEFAULT_TENANT}. */
  readonly open: boolean;
  /** How many distinct tenants the keys name (1 when open). */
  readonly tenantCount: number;
  tenantOf(authorization: string | undefined): string | undefined;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

const BEARER = /^Bearer +(\S+) *$/i;

/** The token of a `Bearer` header ('' when there is none, which matches no key). */
const tokenOf = (authorization: string | undefined): string => BEARER.exec(authorization ?? '')?.[1] ?? '';

/** A key ring over `keys` (key -> tenant); `undefined` or no key at all: open. `compare` is a parameter for tests. */
export const createKeyRing = (keys: ReadonlyMap<string, string> | undefined, compare: (a: Buffer, b: Buffer) => boolean = timingSafeEqual): KeyRing => {
  const entries = [...(keys ?? new Map<string, string>())].map(([key, tenant]) => ({ digest: digest(key), tenant }));
  if (entries.length === 0) return { open: true, tenantCount: 1, tenantOf: () => DEFAULT_TENANT };
  return {
    open: false,
    tenantCount: new Set(entries.map((entry) => entry.tenant)).size,
    tenantOf: (authorization) => {
      const presented = digest(tokenOf(authorization));
      let tenant: string | undefined;
      for (const entry of entries) {
        // Every entry is compared, whatever matched before: no early exit.
        const same = compare(presented, entry.digest);
        tenant = same ? entry.tenant : tenant;
      }
      // A missing or malformed header was compared as the empty token, which is no key.
      return tenant;
    },
  };
};

/** The keys of the `apiKey` and `apiKeys` options as one map (key -> tenant). */
export const keysOf = (apiKey: string | undefined, apiKeys: ApiKeys | undefined): Map<string, string> => {
  const map = new Map<string, string>();
  if (apiKey !== undefined) map.set(apiKey, DEFAULT_TENANT);
  for (const [key, grant] of Object.entries(apiKeys ?? {})) map.set(key, grant.tenant);
  return map;
};

/** Problems with the `apiKeys` option (empty when fine). */
export const apiKeysProblems = (apiKeys: unknown, apiKey: unknown): string[] => {
  if (apiKeys === undefined) return [];
  if (typeof apiKeys !== 'object' || apiKeys === null || Array.isArray(apiKeys)) return ['apiKeys must be an object { "<key>": { "tenant": "<name>" } }'];
  const problems: string[] = [];
  if (apiKey !== undefined) problems.push('give either apiKey or apiKeys, not both');
  const entries = Object.entries(apiKeys as Record<string, unknown>);
  if (entries.length === 0) problems.push('apiKeys must name at least one key');
  if (entries.some(([key]) => !API_KEY_PATTERN.test(key))) problems.push('every API key must be 1-1024 printable ASCII characters without spaces');
  const badTenant = entries.some(([, grant]) => {
    const tenant = typeof grant === 'object' && grant !== null ? (grant as { tenant?: unknown }).tenant : undefined;
    return typeof tenant !== 'string' || !TENANT_PATTERN.test(tenant);
  });
  if (badTenant) problems.push('every apiKeys entry must be { tenant } with a tenant of 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  return problems;
};
