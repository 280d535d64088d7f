import { createCircuitBreakers } from '../../src/strategies/circuit-breaker';

const setup = () => {
  let now = 0;
  const breakers = createCircuitBreakers(['a', 'b'], { failureThreshold: 3, cooldownMs: 100 }, () => now);
  return { breakers, advance: (ms: number) => { now += ms; } };
};

describe('createCircuitBreakers', () => {
  it('opens after failureThreshold failures in a row and only for that expert', () => {
    const { breakers } = setup();
    breakers.failed('a');
    breakers.failed('a');
    expect(breakers.isAvailable('a')).toBe(true);
    breakers.failed('a');
    expect(breakers.isAvailable('a')).toBe(false);
    expect(breakers.states()).toEqual({ a: 'open', b: 'closed' });
  });

  it('a success resets the failure count', () => {
    const { breakers } = setup();
    breakers.failed('a');
    breakers.failed('a');
    breakers.succeeded('a');
    breakers.failed('a');
    breakers.failed('a');
    expect(breakers.states().a).toBe('closed');
  });

  it('half-opens after the cool-down and admits exactly one probe', () => {
    const { breakers, advance } = setup();
    for (let i = 0; i < 3; i++) breakers.failed('a');
    advance(99);
    expect(breakers.isAvailable('a')).toBe(false);
    advance(1);
    expect(breakers.states().a).toBe('half-open');
    expect(breakers.isAvailable('a')).toBe(true);
    expect(breakers.tryStart('a')).toBe('probe');
    expect(breakers.isAvailable('a')).toBe(false);
    expect(breakers.tryStart('a')).toBe('refused');
  });

  it('lets a closed expert run and refuses an open one', () => {
    const { breakers } = setup();
    expect(breakers.tryStart('a')).toBe('run');
    for (let i = 0; i < 3; i++) breakers.failed('a');
    expect(breakers.tryStart('a')).toBe('refused');
    expect(breakers.tryStart('zzz')).toBe('run');
  });

  it('closes when the probe succeeds and re-opens at once when it fails', () => {
    const { breakers, advance } = setup();
    for (let i = 0; i < 3; i++) breakers.failed('a');
    advance(100);
    expect(breakers.tryStart('a')).toBe('probe');
    breakers.failed('a');
    expect(breakers.states().a).toBe('open');
    advance(100);
    expect(breakers.tryStart('a')).toBe('probe');
    breakers.succeeded('a');
    expect(breakers.states().a).toBe('closed');
    expect(breakers.isAvailable('a')).toBe(true);
  });

  it('lets another request probe when the probe was abandoned', () => {
    const { breakers, advance } = setup();
    for (let i = 0; i < 3; i++) breakers.failed('a');
    advance(100);
    expect(breakers.tryStart('a')).toBe('probe');
    breakers.abandoned('a');
    expect(breakers.isAvailable('a')).toBe(true);
  });

  it('treats unknown experts as available', () => {
    const { breakers } = setup();
    expect(breakers.isAvailable('zzz')).toBe(true);
  });
});
