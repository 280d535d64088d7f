import * as crypto from 'node:crypto';
import { createKeyRing, DEFAULT_TENANT, keysOf } from '../../../src/server/tenancy/api-keys';

describe('createKeyRing', () => {
  const ring = createKeyRing(new Map([['key-a-0123456789', 'alice'], ['key-b-0123456789', 'bob'], ['key-c-0123456789', 'alice']]));

  it('names the tenant of each key, the scheme in any case', () => {
    expect(ring.tenantOf('Bearer key-a-0123456789')).toBe('alice');
    expect(ring.tenantOf('bearer key-b-0123456789')).toBe('bob');
    expect(ring.tenantOf('BEARER   key-c-0123456789 ')).toBe('alice');
    expect(ring.open).toBe(false);
    expect(ring.tenantCount).toBe(2);
  });

  it('knows no tenant for a missing, malformed, partial or unknown key', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'key-a-0123456789', 'Basic key-a-0123456789', 'Bearer key-a', 'Bearer key-a-01234567890', 'Bearer KEY-A-0123456789', 'Bearer key-a-0123456789 extra']) {
      expect(ring.tenantOf(header)).toBeUndefined();
    }
  });

  it('compares a SHA-256 digest of the presented key with every stored digest, known or not, first or last', () => {
    const compared: Array<[Buffer, Buffer]> = [];
    const counting = createKeyRing(new Map([['key-a-0123456789', 'alice'], ['key-b-0123456789', 'bob'], ['key-c-0123456789', 'alice']]), (a, b) => {
      compared.push([a, b]);
      return crypto.timingSafeEqual(a, b);
    });
    const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest();
    for (const key of ['key-a-0123456789', 'key-c-0123456789', 'nobody', '']) {
      compared.length = 0;
      counting.tenantOf(key === '' ? undefined : `Bearer ${key}`);
      expect(compared).toHaveLength(3);
      expect(compared.every(([presented]) => presented.equals(sha256(key)))).toBe(true);
      expect(compared.map(([, stored]) => stored)).toEqual(['key-a-0123456789', 'key-b-0123456789', 'key-c-0123456789'].map(sha256));
    }
  });

  it('is open, everyone being the default tenant, without keys', () => {
    const open = createKeyRing(keysOf(undefined, undefined));
    expect(open.open).toBe(true);
    expect(open.tenantOf(undefined)).toBe(DEFAULT_TENANT);
    expect(createKeyRing(keysOf('single-key', undefined)).tenantOf('Bearer single-key')).toBe(DEFAULT_TENANT);
  });
});
