import { of } from 'rxjs';
import type { FusionStrategy } from '../../src/ports';
import { resolveFusion } from '../../src/strategies/fusion-registry';

const custom: FusionStrategy = { id: 'mine', version: '3', orderSensitive: false, fuse: () => of('x') };

describe('resolveFusion', () => {
  it('resolves the built-in names', () => {
    expect(resolveFusion('best')).toEqual(expect.objectContaining({ id: 'best', version: '1', mode: 'select' }));
    expect(resolveFusion('first')).toEqual(expect.objectContaining({ id: 'first', version: '1', mode: 'select' }));
    expect(resolveFusion('sections')).toEqual(expect.objectContaining({ id: 'sections', version: '1', mode: 'generate' }));
  });

  it("defaults to 'best'", () => {
    expect(resolveFusion(undefined).id).toBe('best');
  });

  it('passes a custom strategy through unchanged', () => {
    expect(resolveFusion(custom)).toBe(custom);
    const withMode: FusionStrategy = { ...custom, mode: 'select' };
    expect(resolveFusion(withMode)).toBe(withMode);
  });

  it('rejects an unknown name with a TypeError listing the valid names', () => {
    const call = () => resolveFusion('avg' as 'best');
    expect(call).toThrow(TypeError);
    expect(call).toThrow("Unknown fusion 'avg': use one of 'best', 'first', 'sections'");
  });

  it('does not resolve inherited property names', () => {
    expect(() => resolveFusion('constructor' as 'best')).toThrow(TypeError);
    expect(() => resolveFusion('toString' as 'best')).toThrow(TypeError);
  });

  it.each([
    ['a missing fuse', { id: 'x', version: '1', orderSensitive: true }, /fuse must be a function/],
    ['an empty id', { ...custom, id: '' }, /id must be a non-empty string/],
    ['a numeric version', { ...custom, version: 1 }, /version must be a non-empty string/],
    ['a missing orderSensitive', { id: 'x', version: '1', fuse: custom.fuse }, /orderSensitive must be a boolean/],
    ['an unknown mode', { ...custom, mode: 'blend' }, /mode must be 'select' or 'generate'/],
  ])('rejects a strategy object with %s', (_label, strategy, message) => {
    const call = () => resolveFusion(strategy as unknown as FusionStrategy);
    expect(call).toThrow(TypeError);
    expect(call).toThrow(message);
    expect(call).toThrow(/'best', 'first', 'sections'/);
  });

  it('rejects null and other non-object values', () => {
    expect(() => resolveFusion(null as unknown as FusionStrategy)).toThrow(/Invalid fusion option \(null\)/);
    expect(() => resolveFusion(42 as unknown as FusionStrategy)).toThrow(/Invalid fusion option \(number\)/);
  });
});
