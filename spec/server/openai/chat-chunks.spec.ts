import fc from 'fast-check';
import { estimateUsage, textPieces } from '../../../src/server/openai/chat-chunks';

describe('textPieces', () => {
  it('cuts text into words with their leading whitespace, then the trailing whitespace', () => {
    expect(textPieces('  Hello  world.\n')).toEqual(['  Hello', '  world.', '\n']);
    expect(textPieces('')).toEqual([]);
    expect(textPieces('   ')).toEqual(['   ']);
  });

  it('always joins back to the text exactly', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: fc.constantFrom(' ', '\n', '\t', 'a', '\u00a0', '\ud83d\ude00') }), (a, b) => {
      for (const text of [a, b, `${b}${a}${b}`]) expect(textPieces(text).join('')).toBe(text);
    }));
  });
});

describe('estimateUsage', () => {
  it('estimates about four characters a token', () => {
    expect(estimateUsage('12345', '12345678')).toEqual({ prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 });
  });
});
