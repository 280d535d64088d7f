import { chooseCache, chooseFusion } from '../../src/cli/plugin-parts';

const cwd = '/home/me/project';

describe('chooseCache', () => {
  it('prefers --no-cache, then --cache-file, then the set-up, then ./dialogue-cache.sqlite', () => {
    const memory = { cache: { type: 'memory' } as const };
    expect(chooseCache({ cacheFile: false }, memory, cwd)).toBe(false);
    expect(chooseCache({ cacheFile: 'x.sqlite' }, memory, cwd)).toEqual({ type: 'sqlite', path: `${cwd}/x.sqlite` });
    expect(chooseCache({}, memory, cwd)).toEqual({ type: 'memory' });
    expect(chooseCache({}, { cache: false }, cwd)).toBe(false);
    expect(chooseCache({}, {}, cwd)).toEqual({ type: 'sqlite', path: `${cwd}/dialogue-cache.sqlite` });
    expect(chooseCache({}, undefined, cwd)).toEqual({ type: 'sqlite', path: `${cwd}/dialogue-cache.sqlite` });
  });
});

describe('chooseFusion', () => {
  it('prefers --fusion, then the set-up, then best', () => {
    expect(chooseFusion({ fusion: 'first' }, { fusion: 'sections' })).toBe('first');
    expect(chooseFusion({}, { fusion: 'sections' })).toBe('sections');
    expect(chooseFusion({ fusion: undefined }, undefined)).toBe('best');
  });
});
