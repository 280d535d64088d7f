import { sharedCount, wordKeys } from '../../src/strategies/word-keys';

const keys = (text: string): number[] => [...wordKeys(text)];

/** Keys of the words of `text` taken the non-ASCII way (the regex over the lower-cased text), minus the marker's. */
const viaRegex = (text: string): number[] => {
  const marker = keys('é')[0];
  return keys(`${text} é`).filter((key) => key !== marker);
};

/** mulberry32: the same seed, the same texts. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

describe('wordKeys', () => {
  it('keys distinct lower-cased words, without punctuation, keeping inner apostrophes', () => {
    expect(keys("Don't STOP, don't stop!")).toEqual(keys("don't stop"));
    expect(keys("Don't STOP, don't stop!")).toHaveLength(2);
    expect(keys("'quoted' rock'n'roll x'")).toHaveLength(3); // quoted, rock'n'roll, x
    expect(keys("rock'n'roll")).not.toEqual(keys('rock n roll'));
    expect(keys('  ...  ')).toEqual([]);
    expect(keys('a1 A1 1a')).toHaveLength(2);
  });

  it('returns the keys sorted ascending, each once', () => {
    const all = keys('the quick brown fox jumps over the lazy dog the end');
    expect(all).toHaveLength(9);
    expect(all).toEqual([...all].sort((a, b) => a - b));
  });

  it('gives plain ASCII text the same keys as the Unicode path does', () => {
    const next = random(7);
    const alphabet = "aAbBzZ09 '.,!?-\n\t'";
    for (let round = 0; round < 500; round++) {
      let text = '';
      const length = Math.floor(next() * 40);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      expect(keys(text)).toEqual(viaRegex(text));
    }
  });

  it('reads letters and digits of any script, and the typographic apostrophe inside a word', () => {
    expect(keys('Ça va? ÇA VA!')).toHaveLength(2);
    expect(keys('don’t')).toHaveLength(1);
    expect(keys('don’t stop')).toEqual(keys('DON’T, stop'));
    expect(keys('日本 ٣٤')).toEqual(keys('日本 ٣٤ !'));
  });
});

describe('sharedCount', () => {
  it('counts the words two texts have in common', () => {
    expect(sharedCount(wordKeys('The cat sat on the mat'), wordKeys('a cat on a hat'))).toBe(2);
    expect(sharedCount(wordKeys('one two'), wordKeys('three four'))).toBe(0);
    expect(sharedCount(wordKeys(''), wordKeys('three four'))).toBe(0);
    expect(sharedCount(wordKeys('b c d e f'), wordKeys('F e D'))).toBe(3);
  });
});
