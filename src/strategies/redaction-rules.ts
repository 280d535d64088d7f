/**
 * Redaction rules: what the output guard removes, and how far back a stream must hold text
 * that could still grow into a match. Every regex here is linear-time: quantifiers are bounded
 * or run over character sets that their neighbours cannot also match.
 */

/**
 * One redaction rule.
 *
 * `pattern` (global) finds what to redact. For streaming to match whole-text redaction exactly,
 * a pattern may look at most 16 characters behind a match and at most one character after it,
 * and uses no numbered backreferences (rules are combined into one alternation).
 *
 * `tail` is anchored at the end (`$`): from a position where `pattern` could start, it matches
 * every prefix of a match (a complete match included) that reaches the end of the text, so a
 * stream holds back text from the earliest position it matches. Matching more is safe (it only
 * delays text); matching less lets a secret split across tokens slip through.
 */
export interface RedactionRule {
  readonly id: string;
  readonly version: string;
  readonly pattern: RegExp;
  readonly tail: RegExp;
  /** The replacement for one match, or null when it is not a real match (kept as is). */
  readonly replace: (match: string) => string | null;
}

const escapeChar = (ch: string): string => (/[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch);

/** Regex atoms for the characters of `text`, letters as `[Aa]` when `ignoreCase`. */
export const literalAtoms = (text: string, ignoreCase = false): string[] =>
  [...text].map((ch) => (ignoreCase && ch.toLowerCase() !== ch.toUpperCase() ? `[${ch.toUpperCase()}${ch.toLowerCase()}]` : escapeChar(ch)));

/**
 * Regex source for a tail: any non-empty prefix of `atoms` in sequence, or all of them followed
 * by `rest` (a source that should itself accept every prefix of what follows, the empty one too).
 */
export const prefixChain = (atoms: readonly string[], rest = ''): string => {
  let inner = rest;
  for (let i = atoms.length - 1; i >= 0; i--) inner = inner === '' ? atoms[i]! : `${atoms[i]}(?:${inner})?`;
  return `(?:${inner})`;
};

const rule = (id: string, pattern: string, tail: string, replace: (match: string) => string | null): RedactionRule =>
  Object.freeze({ id, version: '1', pattern: new RegExp(pattern, 'g'), tail: new RegExp(`${tail}$`), replace });

const ci = (text: string): string => literalAtoms(text, true).join('');

// Private key blocks: header through the first END line, or to the end of the text if unterminated.
const END_LINE = '-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----';
const KEY_BODY_TAIL = `(?:(?!${END_LINE})[\\s\\S])*(?:${END_LINE})?`;

/** `-----BEGIN ... PRIVATE KEY-----` (RSA, EC, OpenSSH, encrypted, PGP ... BLOCK) through its END line -> `[REDACTED:private-key]`. */
export const privateKeyRule = rule(
  'private-key',
  `-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\\s\\S]*?(?:${END_LINE}|$)`,
  prefixChain(literalAtoms('-----BEGIN '), `[A-Z0-9 ]{0,40}${prefixChain(literalAtoms('PRIVATE KEY'),
    `${prefixChain(literalAtoms(' BLOCK-----'), KEY_BODY_TAIL)}|${prefixChain(literalAtoms('-----'), KEY_BODY_TAIL)}`)}?`),
  () => '[REDACTED:private-key]',
);

const TOKEN = '[\\w.~+/-]';
/** `Bearer <token>` (any case, token of 16-2048 RFC 6750 characters) -> `Bearer [REDACTED:token]`. */
export const bearerTokenRule = rule(
  'bearer-token',
  `(?<!\\w)${ci('bearer')}[ \\t]{1,4}${TOKEN}{16,2048}={0,2}`,
  `(?<!\\w)${prefixChain(literalAtoms('bearer', true), `[ \\t]{1,4}${TOKEN}{0,2048}={0,2}`)}`,
  () => 'Bearer [REDACTED:token]',
);

/** Key formats with a recognisable prefix: [pattern, tail] sources. */
const KEY_FORMATS: ReadonlyArray<readonly [string, string]> = [
  // OpenAI (sk-, sk-proj-, sk-svcacct-), Anthropic (sk-ant-)
  ['sk-[\\w-]{20,256}', prefixChain(literalAtoms('sk-'), '[\\w-]{0,256}')],
  // Stripe secret and restricted keys
  ['[sr]k_(?:live|test)_[A-Za-z0-9]{16,256}',
    prefixChain(['[sr]', 'k', '_'], `${prefixChain(literalAtoms('live_'), '[A-Za-z0-9]{0,256}')}|${prefixChain(literalAtoms('test_'), '[A-Za-z0-9]{0,256}')}`)],
  // GitHub classic and fine-grained tokens
  ['gh[pousr]_[A-Za-z0-9]{36,255}', prefixChain(['g', 'h', '[pousr]', '_'], '[A-Za-z0-9]{0,255}')],
  ['github_pat_\\w{22,255}', prefixChain(literalAtoms('github_pat_'), '\\w{0,255}')],
  // GitLab personal access tokens
  ['glpat-[\\w-]{20,255}', prefixChain(literalAtoms('glpat-'), '[\\w-]{0,255}')],
  // AWS access key ids
  ['A(?:KI|SI)A[A-Z0-9]{16}', prefixChain(['A', '[KS]', 'I', 'A'], '[A-Z0-9]{0,16}')],
  // Slack tokens
  ['xox[abposr]-[A-Za-z0-9-]{10,255}', prefixChain(['x', 'o', 'x', '[abposr]', '-'], '[A-Za-z0-9-]{0,255}')],
  // Google API keys
  ['AIza[\\w-]{35}', prefixChain(literalAtoms('AIza'), '[\\w-]{0,35}')],
  // Generic `key-` secrets (Mailgun style)
  ['key-[A-Za-z0-9]{24,256}', prefixChain(literalAtoms('key-'), '[A-Za-z0-9]{0,256}')],
];

/**
 * Keys with a known prefix, not inside a longer word -> `[REDACTED:api-key]`: `sk-...` (OpenAI,
 * Anthropic), `sk_live_`/`rk_test_...` (Stripe), `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_`/`github_pat_`
 * (GitHub), `glpat-` (GitLab), `AKIA`/`ASIA` (AWS), `xoxb-`/`xoxp-`/`xoxa-`... (Slack), `AIza`
 * (Google), `key-` followed by 24+ letters or digits. Longer keys than a format's maximum are
 * redacted up to it.
 */
export const apiKeyRule = rule(
  'api-key',
  `(?<![\\w-])(?:${KEY_FORMATS.map(([pattern]) => pattern).join('|')})`,
  `(?<![\\w-])(?:${KEY_FORMATS.map(([, tail]) => tail).join('|')})`,
  () => '[REDACTED:api-key]',
);

const SEP = '[_-]?';
const LABELS: ReadonlyArray<readonly string[]> = [
  [...literalAtoms('api', true), SEP, ...literalAtoms('key', true)],
  literalAtoms('x-api-key', true),
  [...literalAtoms('secret', true), SEP, ...literalAtoms('key', true)],
  [...literalAtoms('access', true), SEP, ...literalAtoms('token', true)],
  [...literalAtoms('auth', true), SEP, ...literalAtoms('token', true)],
  [...literalAtoms('client', true), SEP, ...literalAtoms('secret', true)],
];
const VALUE = '[\\w.~+/=-]';
const ASSIGNMENT_TAIL = `["']?[ \\t]{0,3}(?:[:=][ \\t]{0,3}["']?${VALUE}{0,512})?`;
/** The name, separator and opening quote of an assignment match: kept by the replacement. */
const ASSIGNMENT_HEAD = /^[^:=]*[:=][ \t]*["']?/;

/**
 * A key assigned to a well-known name (`api_key=...`, `"apiKey": "..."`, `X-API-Key: ...`,
 * `secret_key`, `access_token`, `auth_token`, `client_secret`; any case), value of 16-512
 * characters -> the name kept, the value replaced: `api_key=[REDACTED:api-key]`.
 */
export const apiKeyAssignmentRule = rule(
  'api-key-assignment',
  `(?<![\\w-])(?:${LABELS.map((atoms) => atoms.join('')).join('|')})["']?[ \\t]{0,3}[:=][ \\t]{0,3}["']?${VALUE}{16,512}`,
  `(?<![\\w-])(?:${LABELS.map((atoms) => prefixChain(atoms, ASSIGNMENT_TAIL)).join('|')})`,
  (match) => `${ASSIGNMENT_HEAD.exec(match)?.[0] ?? ''}[REDACTED:api-key]`,
);

const LOCAL = '[\\w.%+-]';
/** E-mail addresses (local part up to 64 characters, 2 to 9 domain labels, a letter TLD) -> `[REDACTED:email]`. */
export const emailRule = rule(
  'email',
  `(?<!${LOCAL})${LOCAL}{1,64}@(?:[A-Za-z0-9-]{1,63}\\.){1,8}[A-Za-z]{2,63}(?![A-Za-z0-9-])`,
  `(?<!${LOCAL})${LOCAL}{1,64}(?:@[A-Za-z0-9.-]{0,600})?`,
  () => '[REDACTED:email]',
);

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

/**
 * Card numbers: 13-19 digits, single spaces or dashes allowed between digits, not inside a
 * longer digit run, passing the Luhn check -> `[REDACTED:card]`; failing numbers are kept.
 */
export const cardNumberRule = rule(
  'card-number',
  '(?<!\\d)\\d(?:[ -]?\\d){12,18}(?!\\d)',
  '(?<!\\d)\\d(?:[ -]?\\d){0,18}[ -]?',
  (match) => (luhnValid(match.replace(/[ -]/g, '')) ? '[REDACTED:card]' : null),
);

/** The built-in rules, in priority order (at one position, the first rule that accepts wins). */
export const builtInRules: readonly RedactionRule[] = Object.freeze([
  privateKeyRule, bearerTokenRule, apiKeyRule, apiKeyAssignmentRule, emailRule, cardNumberRule,
]);
