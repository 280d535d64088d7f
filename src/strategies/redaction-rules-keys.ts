/** Rules for keys and tokens recognised by their own form: private-key blocks, bearer and Basic credentials, JWTs, API keys. */
import { ASSIGNMENT_OPERATOR, ASSIGNMENT_STEPS, ci, literalAtoms, literalSteps, prefixChain, rule, run } from './redaction-kit';

const LABEL = '[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----';
const HEAD = `-----BEGIN ${LABEL}`;
const END_LINE = `-----END ${LABEL}`;
const KEY_BODY_TAIL = `(?:(?!${END_LINE})[\\s\\S])*(?:${END_LINE})?`;
/** Every prefix of an END line (anchored at the end). */
const END_LINE_TAIL = prefixChain(literalAtoms('-----END '), `[A-Z0-9 ]{0,40}${prefixChain(literalAtoms('PRIVATE KEY'),
  `${prefixChain(literalAtoms(' BLOCK----'))}|${prefixChain(literalAtoms('----'))}`)}?`);

/**
 * `-----BEGIN ... PRIVATE KEY-----` (RSA, EC, OpenSSH, encrypted, PGP ... BLOCK) through its END
 * line, or to the end of the text when unterminated -> `[REDACTED:private-key]`. A block rule: a
 * stream emits nothing of the block, however long, until its END line or the end of the stream.
 */
export const privateKeyRule = rule('private-key', {
  pattern: `${HEAD}[\\s\\S]*?(?:${END_LINE}|$)`,
  tail: prefixChain(literalAtoms('-----BEGIN '), `[A-Z0-9 ]{0,40}${prefixChain(literalAtoms('PRIVATE KEY'),
    `${prefixChain(literalAtoms(' BLOCK-----'), KEY_BODY_TAIL)}|${prefixChain(literalAtoms('-----'), KEY_BODY_TAIL)}`)}?`),
  replace: () => '[REDACTED:private-key]',
  shape: { steps: [...literalSteps('-----BEGIN '), run(/[A-Z0-9 ]/, 11, 57), run(/-/, 5, 5)] },
  // '-----END ' (9) + label (40) + 'PRIVATE KEY' (11) + ' BLOCK' (6) + '-----' (5)
  block: { head: new RegExp(HEAD), end: new RegExp(END_LINE), endLength: 71, endTail: new RegExp(`${END_LINE_TAIL}$`) },
});

const TOKEN = '[\\w.~+/-]';
/** `Bearer <token>` (any case, token of 16-2048 RFC 6750 characters) -> `Bearer [REDACTED:token]`. */
export const bearerTokenRule = rule('bearer-token', {
  pattern: `(?<!\\w)${ci('bearer')}[ \\t]{1,4}${TOKEN}{16,2048}={0,2}`,
  tail: `(?<!\\w)${prefixChain(literalAtoms('bearer', true), `[ \\t]{1,4}${TOKEN}{0,2048}={0,2}`)}`,
  replace: () => 'Bearer [REDACTED:token]',
  shape: { notAfter: /\w/, steps: [...literalSteps('bearer', true), run(/[ \t]/, 1, 4), run(/[\w.~+/-]/, 16, 2048), run(/=/, 0, 2)] },
});

const BASIC_VALUE = `${prefixChain(literalAtoms('basic', true), '[ \\t]{1,4}[A-Za-z0-9+/]{0,1024}={0,2}')}?`;
const AUTHORIZATION_TAIL = prefixChain(literalAtoms('authorization', true), `["']?[ \\t]{0,3}(?:[:=][ \\t]{0,3}["']?${BASIC_VALUE})?`);
/** Everything of a Basic match up to the credentials: kept. */
const BASIC_HEAD = /^[\s\S]*?basic[ \t]+/i;

/**
 * `Authorization: Basic <base64>` (also `Proxy-Authorization`, `=` or `:`, quoted as in JSON; any
 * case; 8-1024 base64 characters) -> `Authorization: Basic [REDACTED:credentials]`.
 */
export const basicAuthRule = rule('basic-auth', {
  pattern: `(?<![\\w-])(?:${ci('proxy-')})?${ci('authorization')}${ASSIGNMENT_OPERATOR}${ci('basic')}[ \\t]{1,4}[A-Za-z0-9+/]{8,1024}={0,2}`,
  tail: `(?<![\\w-])(?:${prefixChain(literalAtoms('proxy-', true), AUTHORIZATION_TAIL)}|${AUTHORIZATION_TAIL})`,
  replace: (match) => `${BASIC_HEAD.exec(match)?.[0] ?? ''}[REDACTED:credentials]`,
  shape: {
    notAfter: /[\w-]/,
    steps: [run(/[AaPp]/, 1, 1), run(/[UuRr]/, 1, 1), run(/[A-Za-z-]/, 11, 17), ...ASSIGNMENT_STEPS, ...literalSteps('basic', true),
      run(/[ \t]/, 1, 4), run(/[A-Za-z0-9+/]/, 8, 1024), run(/=/, 0, 2)],
  },
});

const SEGMENT = '[\\w-]';
/**
 * A bare JSON Web Token: three base64url segments, the first two starting `eyJ` (`{"`), header
 * 9-515, payload 9-2051, signature 16-1024 characters -> `[REDACTED:jwt]`.
 */
export const jwtRule = rule('jwt', {
  pattern: `(?<![\\w-])eyJ${SEGMENT}{6,512}\\.eyJ${SEGMENT}{6,2048}\\.${SEGMENT}{16,1024}`,
  tail: `(?<![\\w-])${prefixChain(['e', 'y', 'J'], `${SEGMENT}{0,512}(?:\\.${prefixChain(['e', 'y', 'J'], `${SEGMENT}{0,2048}(?:\\.${SEGMENT}{0,1024})?`)}?)?`)}`,
  replace: () => '[REDACTED:jwt]',
  shape: {
    notAfter: /[\w-]/,
    steps: [...literalSteps('eyJ'), run(/[\w-]/, 6, 512), run(/\./, 1, 1), ...literalSteps('eyJ'), run(/[\w-]/, 6, 2048), run(/\./, 1, 1), run(/[\w-]/, 16, 1024)],
  },
});

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
export const apiKeyRule = rule('api-key', {
  pattern: `(?<![\\w-])(?:${KEY_FORMATS.map(([pattern]) => pattern).join('|')})`,
  tail: `(?<![\\w-])(?:${KEY_FORMATS.map(([, tail]) => tail).join('|')})`,
  replace: () => '[REDACTED:api-key]',
  // every format: its first two letters, then 13-264 of [\w-] (xoxb- + 10 is the shortest, github_pat_ + 255 the longest)
  shape: { notAfter: /[\w-]/, steps: [run(/[srgxkA]/, 1, 1), run(/[khilKSIoe]/, 1, 1), run(/[\w-]/, 13, 264)] },
});
