/** Card numbers: the Luhn check, the brands' IIN ranges and lengths, and finding a card inside a run of digit groups. */

/** Luhn checksum over a string of ASCII digits. */
export const luhnValid = (digits: string): boolean => {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) digit = digit > 4 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
};

const prefix = (digits: string, length: number, low: number, high: number): boolean => {
  const value = Number(digits.slice(0, length));
  return value >= low && value <= high;
};
const lengths = (low: number, high: number): number[] => Array.from({ length: high - low + 1 }, (_, i) => low + i);
const MAESTRO = new Set(['5018', '5020', '5038', '5893', '6304', '6759', '6761', '6762', '6763']);

/** Card brands: IIN ranges and lengths (ISO/IEC 7812 as the networks publish them). */
const BRANDS: ReadonlyArray<{ readonly brand: string; readonly lengths: readonly number[]; readonly issues: (digits: string) => boolean }> = [
  { brand: 'visa', lengths: [13, 16, 19], issues: (d) => d[0] === '4' },
  { brand: 'mastercard', lengths: [16], issues: (d) => prefix(d, 2, 51, 55) || prefix(d, 4, 2221, 2720) },
  { brand: 'amex', lengths: [15], issues: (d) => d.startsWith('34') || d.startsWith('37') },
  { brand: 'discover', lengths: lengths(16, 19), issues: (d) => d.startsWith('6011') || prefix(d, 3, 644, 649) || d.startsWith('65') },
  { brand: 'jcb', lengths: lengths(16, 19), issues: (d) => prefix(d, 4, 3528, 3589) },
  { brand: 'diners', lengths: lengths(14, 19), issues: (d) => prefix(d, 3, 300, 305) || d.startsWith('36') || d.startsWith('38') || d.startsWith('39') },
  { brand: 'unionpay', lengths: lengths(16, 19), issues: (d) => d.startsWith('62') },
  { brand: 'maestro', lengths: lengths(12, 19), issues: (d) => MAESTRO.has(d.slice(0, 4)) },
];

/** The brand whose IIN range and lengths fit `digits` (Luhn not checked), or undefined. */
export const cardBrand = (digits: string): string | undefined =>
  BRANDS.find((b) => b.lengths.includes(digits.length) && b.issues(digits))?.brand;

/** Groups `lens[i..j)` as printed on cards: 4-4-4-... with a last group of 1-4, or Amex/Diners 4-6-5 and 4-6-4. */
const printedLayout = (lens: readonly number[], i: number, j: number): boolean => {
  if (j - i === 1) return true;
  if (j - i === 3 && lens[i] === 4 && lens[i + 1] === 6 && (lens[i + 2] === 5 || lens[i + 2] === 4)) return true;
  for (let g = i; g < j - 1; g++) if (lens[g] !== 4) return false;
  return lens[j - 1]! <= 4;
};

/**
 * The card inside a run of digit groups (single spaces or dashes between groups), as
 * [start, end] offsets, or undefined: the leftmost, then longest, span of whole groups that has
 * a printed layout, one kind of separator, a brand's prefix and length, and a valid Luhn digit.
 * So `1796392204105` (a millisecond timestamp) is no card, and in `4111 1111 1111 1111 12` the
 * card is the first 16 digits.
 */
export const findCard = (run: string): readonly [number, number] | undefined => {
  const groups = run.split(/[ -]/);
  const lens = groups.map((g) => g.length);
  const starts: number[] = [];
  for (let i = 0, at = 0; i < groups.length; at += lens[i]! + 1, i++) starts.push(at);
  for (let i = 0; i < groups.length; i++) {
    for (let j = groups.length, count = lens.slice(i).reduce((a, b) => a + b, 0); j > i; count -= lens[--j]!) {
      if (count < 12 || count > 19 || !printedLayout(lens, i, j)) continue;
      const start = starts[i]!;
      const end = starts[j - 1]! + lens[j - 1]!;
      if (new Set(run.slice(start, end).replace(/\d/g, '')).size > 1) continue;
      const digits = groups.slice(i, j).join('');
      if (cardBrand(digits) !== undefined && luhnValid(digits)) return [start, end];
    }
  }
  return undefined;
};
