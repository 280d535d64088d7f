/** Rules for secrets assigned to a telling name (`api_key=...`, `aws_secret_access_key = ...`, `"password": "..."`): the name is kept, the value replaced. */
import { ASSIGNMENT_OPERATOR, ASSIGNMENT_STEPS, assignmentTail, ci, keepName, literalAtoms, prefixChain, rule, run } from './redaction-kit';

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

/**
 * A key assigned to a well-known name (`api_key=...`, `"apiKey": "..."`, `X-API-Key: ...`,
 * `secret_key`, `access_token`, `auth_token`, `client_secret`; any case), value of 16-512
 * characters -> the name kept, the value replaced: `api_key=[REDACTED:api-key]`.
 */
export const apiKeyAssignmentRule = rule('api-key-assignment', {
  pattern: `(?<![\\w-])(?:${LABELS.map((atoms) => atoms.join('')).join('|')})${ASSIGNMENT_OPERATOR}${VALUE}{16,512}`,
  tail: `(?<![\\w-])(?:${LABELS.map((atoms) => prefixChain(atoms, assignmentTail(VALUE, 512))).join('|')})`,
  replace: keepName('[REDACTED:api-key]'),
  // labels: two first characters (api, x-api, secret, access, auth, client), then 4 (i_key) to 11 (ient_secret) letters, '_' or '-'
  shape: {
    notAfter: /[\w-]/,
    steps: [run(/[AaXxSsCc]/, 1, 1), run(/[PpEeCcUuLl-]/, 1, 1), run(/[A-Za-z_-]/, 4, 11), ...ASSIGNMENT_STEPS, run(/[\w.~+/=-]/, 16, 512)],
  },
});

const AWS_NAMES: ReadonlyArray<readonly string[]> = [
  [...literalAtoms('aws', true), SEP, ...literalAtoms('secret', true), SEP, ...literalAtoms('access', true), SEP, ...literalAtoms('key', true)],
  [...literalAtoms('aws', true), SEP, ...literalAtoms('secret', true), SEP, ...literalAtoms('key', true)],
  [...literalAtoms('secret', true), SEP, ...literalAtoms('access', true), SEP, ...literalAtoms('key', true)],
];
const AWS_SECRET = '[A-Za-z0-9/+]';

/**
 * An AWS secret access key (40 base64 characters, not part of a longer run) assigned to
 * `aws_secret_access_key`, `AWS_SECRET_ACCESS_KEY`, `aws_secret_key`, `SecretAccessKey` (JSON), ...
 * in env, INI, YAML or JSON style -> the name kept: `aws_secret_access_key = [REDACTED:aws-secret]`.
 */
export const awsSecretKeyRule = rule('aws-secret-key', {
  pattern: `(?<![A-Za-z0-9])(?:${AWS_NAMES.map((atoms) => atoms.join('')).join('|')})${ASSIGNMENT_OPERATOR}${AWS_SECRET}{40}(?![A-Za-z0-9/+=])`,
  tail: `(?<![A-Za-z0-9])(?:${AWS_NAMES.map((atoms) => prefixChain(atoms, assignmentTail(AWS_SECRET, 40))).join('|')})`,
  replace: keepName('[REDACTED:aws-secret]'),
  // names: 'aw' or 'se', then 10 (ssecretkey) to 19 (s_secret_access_key) letters, '_' or '-'
  shape: {
    notAfter: /[A-Za-z0-9]/,
    steps: [run(/[AaSs]/, 1, 1), run(/[WwEe]/, 1, 1), run(/[A-Za-z_-]/, 10, 19), ...ASSIGNMENT_STEPS, run(/[A-Za-z0-9/+]/, 40, 40)],
  },
});

const PASSWORD_WORDS = ['password', 'passwd', 'passphrase'];
const SECRET_WORDS = ['secret', 'token'];
const SECRET_VALUE = '[^\\s"\'`]';
/** The keyword that ends an assignment's name (the name runs up to the quote, blank or operator). */
const NAME_END = /([A-Za-z]+)["']?[ \t]*[:=]/;

const passwordReplacement = keepName('[REDACTED:password]');
const secretReplacement = keepName('[REDACTED:secret]');
/**
 * A password's value is always replaced; a `secret`/`token` value is kept when it reads as a word: under
 * 8 characters, or letters only and under 16 (`The secret: patience.`; trailing punctuation aside).
 */
const replacePassword = (match: string): string | null => {
  const head = /^[^:=]*[:=][ \t]*["']?/.exec(match)?.[0] ?? '';
  const word = (NAME_END.exec(head)?.[1] ?? '').toLowerCase();
  if (PASSWORD_WORDS.some((keyword) => word.endsWith(keyword))) return passwordReplacement(match);
  const value = match.slice(head.length).replace(/[.,;:!?)\]}>]+$/, '');
  if (value.length < 8 || (value.length < 16 && /^[A-Za-z]+$/.test(value))) return null;
  return secretReplacement(match);
};

const KEYWORDS = [...PASSWORD_WORDS, ...SECRET_WORDS];

/**
 * A value assigned to a name that ends with `password`, `passwd`, `passphrase`, `secret` or `token`
 * (`password=...`, `DB_PASSWORD=...`, `"dbPassword": "..."`, `GITHUB_TOKEN: ...`; any case) with `=`
 * or `:` -> the name kept, the value (6-256 characters up to a blank or quote) replaced:
 * `DB_PASSWORD=[REDACTED:password]`, `token: [REDACTED:secret]`. The match starts at the keyword
 * (what comes before it is kept anyway). Prose without an operator ("the password is short")
 * never matches; a `secret`/`token` value must have 8+ characters and, if letters only, 16+
 * ("The secret: patience" is kept).
 */
export const passwordAssignmentRule = rule('password-assignment', {
  pattern: `(?:${KEYWORDS.map(ci).join('|')})${ASSIGNMENT_OPERATOR}${SECRET_VALUE}{6,256}`,
  tail: `(?:${KEYWORDS.map((word) => prefixChain(literalAtoms(word, true), assignmentTail(SECRET_VALUE, 256))).join('|')})`,
  replace: replacePassword,
  // a keyword: 'pa', 'se' or 'to', then 3 (ken) to 8 (ssphrase) letters
  shape: { steps: [run(/[PpSsTt]/, 1, 1), run(/[AaEeOo]/, 1, 1), run(/[A-Za-z]/, 3, 8), ...ASSIGNMENT_STEPS, run(/[^\s"'`]/, 6, 256)] },
});
