import { backoffDelay, parseRetryAfter, seededRandom } from '../../src/strategies/backoff';

const constant = (value: number) => () => value;

describe('backoffDelay', () => {
  it('grows the jitter window exponentially: floor(random * base * 2^(attempt-1))', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1_000_000, random: constant(0.5) };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, options))).toEqual([50, 100, 200, 400, 800]);
  });

  it('uses full jitter: random 0 gives 0 and random near 1 gives just under the window', () => {
    expect(backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 10_000, random: constant(0) })).toBe(0);
    expect(backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 10_000, random: constant(0.999999) })).toBe(399);
  });

  it('gives exact, reproducible values with a seeded random', () => {
    const expected = [seededRandom(42), seededRandom(42)].map((random) =>
      [1, 2, 3, 4].map((attempt) => backoffDelay(attempt, { baseDelayMs: 100, maxDelayMs: 5_000, random })));
    expect(expected[0]).toEqual(expected[1]);
    // floor(r_n * 100 * 2^(n-1)) for mulberry32(42)'s first four draws
    const r = seededRandom(42);
    const draws = [r(), r(), r(), r()];
    expect(expected[0]).toEqual(draws.map((value, i) => Math.floor(value * 100 * 2 ** i)));
    expect(expected[0]).toEqual([60, 89, 340, 535]); // cross-checked against the reference C mulberry32
  });

  it('caps the window at maxDelayMs', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1_000, random: constant(0.5) };
    expect(backoffDelay(4, options)).toBe(400);
    expect(backoffDelay(5, options)).toBe(500);   // window min(1000, 1600)
    expect(backoffDelay(60, options)).toBe(500);
    expect(backoffDelay(2_000, options)).toBe(500); // 2 ** 1999 is Infinity; still capped
    const random = seededRandom(1);
    for (let attempt = 1; attempt <= 30; attempt += 1) {
      expect(backoffDelay(attempt, { baseDelayMs: 100, maxDelayMs: 1_000, random })).toBeLessThan(1_000);
    }
  });

  it('lets retryAfterMs win over the jitter', () => {
    const random = jest.fn(constant(0.5));
    expect(backoffDelay(1, { baseDelayMs: 100, maxDelayMs: 10_000, retryAfterMs: 2_500, random })).toBe(2_500);
    expect(backoffDelay(4, { baseDelayMs: 100, maxDelayMs: 10_000, retryAfterMs: 0, random })).toBe(0);
    expect(random).not.toHaveBeenCalled();
  });

  it('caps retryAfterMs at maxDelayMs', () => {
    expect(backoffDelay(1, { baseDelayMs: 100, maxDelayMs: 3_000, retryAfterMs: 120_000, random: constant(0.5) })).toBe(3_000);
  });

  it('ignores a NaN retryAfterMs', () => {
    expect(backoffDelay(2, { baseDelayMs: 100, maxDelayMs: 3_000, retryAfterMs: Number.NaN, random: constant(0.5) })).toBe(100);
  });

  it('rejects attempts below 1 and negative delays', () => {
    expect(() => backoffDelay(0, { baseDelayMs: 100, maxDelayMs: 1_000 })).toThrow(RangeError);
    expect(() => backoffDelay(1.5, { baseDelayMs: 100, maxDelayMs: 1_000 })).toThrow(RangeError);
    expect(() => backoffDelay(1, { baseDelayMs: -1, maxDelayMs: 1_000 })).toThrow(RangeError);
  });

  it('defaults to Math.random, staying inside the window', () => {
    for (let i = 0; i < 100; i += 1) {
      const delay = backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 10_000 });
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(400);
      expect(Number.isInteger(delay)).toBe(true);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2024, 0, 1, 12, 0, 0); // Mon, 01 Jan 2024 12:00:00 GMT

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an IMF-fixdate as the distance from now', () => {
    expect(parseRetryAfter('Mon, 01 Jan 2024 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 02 Jan 2024 12:00:00 GMT', now)).toBe(86_400_000);
  });

  it('reads the obsolete RFC 850 and asctime formats', () => {
    expect(parseRetryAfter('Monday, 01-Jan-24 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Mon Jan  1 12:00:05 2024', now)).toBe(5_000);
  });

  it('gives 0 for a date in the past', () => {
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:59:59 GMT', now)).toBe(0);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(0);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['words', 'soon'],
    ['negative seconds', '-5'],
    ['fractional seconds', '1.5'],
    ['seconds with a unit', '10s'],
    ['a loose date', '2024-01-01'],
    ['a date without GMT', 'Mon, 01 Jan 2024 12:00:30'],
    ['an impossible date', 'Wed, 31 Feb 2024 12:00:00 GMT'],
    ['an impossible time', 'Mon, 01 Jan 2024 25:00:00 GMT'],
  ])('returns undefined for %s', (_label, value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('seededRandom', () => {
  it('repeats the same sequence for the same seed and differs across seeds', () => {
    const take = (random: () => number) => Array.from({ length: 5 }, () => random());
    expect(take(seededRandom(7))).toEqual(take(seededRandom(7)));
    expect(take(seededRandom(7))).not.toEqual(take(seededRandom(8)));
  });

  it('stays in [0, 1)', () => {
    const random = seededRandom(123);
    for (let i = 0; i < 10_000; i += 1) {
      const value = random();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});
