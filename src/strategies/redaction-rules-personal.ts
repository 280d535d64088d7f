/** Rules for personal data: e-mail addresses and card numbers. */
import { findCard } from './card-number';
import { rule, run } from './redaction-kit';

const LOCAL = '[\\w.%+-]';
/** E-mail addresses (local part up to 64 characters, 2 to 9 domain labels, a letter TLD) -> `[REDACTED:email]`. */
export const emailRule = rule('email', {
  pattern: `(?<!${LOCAL})${LOCAL}{1,64}@(?:[A-Za-z0-9-]{1,63}\\.){1,8}[A-Za-z]{2,63}(?![A-Za-z0-9-])`,
  tail: `(?<!${LOCAL})${LOCAL}{1,64}(?:@[A-Za-z0-9.-]{0,600})?`,
  replace: () => '[REDACTED:email]',
  // the domain: 'a.io' (4) to 8 labels of 63 and a dot plus a TLD of 63 (575)
  shape: { notAfter: /[\w.%+-]/, steps: [run(/[\w.%+-]/, 1, 64), run(/@/, 1, 1), run(/[A-Za-z0-9.-]/, 4, 575)] },
});

/**
 * Card numbers: a run of 13-19 digits (single spaces or dashes allowed between digits, not glued
 * to a longer run of digits or letters, as inside a hash) that holds a card: a span of whole groups with one kind of separator, printed
 * as cards are (4-4-4-4..., Amex 4-6-5), with a real brand prefix and length (Visa, Mastercard, Amex,
 * Discover, JCB, Diners, UnionPay, Maestro) and a valid Luhn digit -> that span becomes
 * `[REDACTED:card]`, the rest of the run is kept. Runs without one (timestamps, order numbers,
 * ISBNs, Luhn failures) are kept whole.
 */
export const cardNumberRule = rule('card-number', {
  pattern: '(?<!\\w)\\d(?:[ -]?\\d){12,18}(?!\\w)',
  tail: '(?<!\\w)\\d(?:[ -]?\\d){0,18}[ -]?',
  replace: (match) => {
    const card = findCard(match);
    return card === undefined ? null : `${match.slice(0, card[0])}[REDACTED:card]${match.slice(card[1])}`;
  },
  shape: { notAfter: /\w/, steps: [run(/\d/, 1, 1), run(/[\d -]/, 12, 37)] },
});
