import { HttpError } from '../../../src/server/http-error';
import { createTenantLimits, type LimitName } from '../../../src/server/tenancy/tenant-limits';

const refusal = (run: () => unknown): HttpError => {
  try {
    run();
  } catch (error) {
    if (HttpError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('not refused');
};

describe('createTenantLimits', () => {
  let now: number;
  let limited: Array<[string, LimitName]>;
  beforeEach(() => {
    now = 0;
    limited = [];
  });
  const limits = (concurrent: number, perMinute: number) =>
    createTenantLimits({ concurrent, perMinute }, () => now, (tenant, limit) => limited.push([tenant, limit]));

  it('admits up to `concurrent` requests of a tenant at once, each tenant apart', () => {
    const l = limits(2, Infinity);
    const a1 = l.admit('a');
    l.admit('a');
    expect(refusal(() => l.admit('a'))).toMatchObject({ status: 429, code: 'concurrency_limit_exceeded', headers: { 'retry-after': '1' } });
    l.admit('b');
    a1();
    a1();
    l.admit('a');
    expect(refusal(() => l.admit('a')).status).toBe(429);
    expect(limited).toEqual([['a', 'concurrent'], ['a', 'concurrent']]);
  });

  it('admits `perMinute` requests a minute as a bucket that refills evenly', () => {
    const l = limits(Infinity, 6);
    for (let i = 0; i < 6; i++) l.admit('a')();
    expect(refusal(() => l.admit('a')).headers).toEqual({ 'retry-after': '10' });
    now = 9_000;
    expect(refusal(() => l.admit('a')).headers).toEqual({ 'retry-after': '1' });
    now = 10_000;
    l.admit('a')();
    expect(refusal(() => l.admit('a')).code).toBe('rate_limit_exceeded');
    expect(limited).toEqual([['a', 'rate'], ['a', 'rate'], ['a', 'rate']]);
  });

  it('forgets a tenant at rest with a full bucket, so state follows activity, not history', () => {
    const l = limits(4, 60);
    const releases = ['a', 'b', 'c'].map((tenant) => l.admit(tenant));
    expect(l.size).toBe(3);
    now = 1_000;
    releases.forEach((release) => release());
    expect(l.size).toBe(0);
    const held = l.admit('a');
    held();
    expect(l.size).toBe(1);
    now = 2_000;
    const again = l.admit('a');
    now = 3_000;
    again();
    expect(l.size).toBe(0);
  });
});
