import {
  apiKeyAssignmentRule, apiKeyRule, awsSecretKeyRule, basicAuthRule, bearerTokenRule, builtInRules, cardBrand, cardNumberRule, emailRule, jwtRule,
  luhnValid, passwordAssignmentRule, privateKeyRule, type RedactionRule,
} from '../../src/strategies/redaction-rules';
import { compileShape, walkShape } from '../../src/strategies/rule-shape';
import { redactText } from '../../src/strategies/streaming-redactor';

const pem = (label: string, body = 'MIIEowIBAAKCAQEA7bq98\nQW1hc2tlZA==') => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;

/** [rule, secret as it appears in text, what it becomes] */
const truePositives: ReadonlyArray<readonly [RedactionRule, string, string]> = [
  [privateKeyRule, pem('PRIVATE KEY'), '[REDACTED:private-key]'],
  [privateKeyRule, pem('RSA PRIVATE KEY'), '[REDACTED:private-key]'],
  [privateKeyRule, pem('OPENSSH PRIVATE KEY'), '[REDACTED:private-key]'],
  [privateKeyRule, pem('PGP PRIVATE KEY BLOCK'), '[REDACTED:private-key]'],
  [bearerTokenRule, 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl', 'Bearer [REDACTED:token]'],
  [bearerTokenRule, 'bearer\tabcdefghijklmnop0123==', 'Bearer [REDACTED:token]'],
  [bearerTokenRule, `BEARER ${'t'.repeat(2048)}`, 'Bearer [REDACTED:token]'],
  [apiKeyRule, 'sk-abcdefghijklmnopqrstuvwx', '[REDACTED:api-key]'],
  [apiKeyRule, 'sk-proj-AbCdEf0123456789_xyz-QRSTUV', '[REDACTED:api-key]'],
  [apiKeyRule, `sk-ant-api03-${'x'.repeat(243)}`, '[REDACTED:api-key]'],
  [apiKeyRule, 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', '[REDACTED:api-key]'],
  [apiKeyRule, 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', '[REDACTED:api-key]'],
  [apiKeyRule, 'github_pat_11ABCDEFG0123456789_abcdefghij', '[REDACTED:api-key]'],
  [apiKeyRule, 'glpat-abcdefghij0123456789', '[REDACTED:api-key]'],
  [apiKeyRule, 'AKIAIOSFODNN7EXAMPLE', '[REDACTED:api-key]'],
  [apiKeyRule, 'ASIAIOSFODNN7EXAMPLE', '[REDACTED:api-key]'],
  [apiKeyRule, 'xoxb-1234567890-abcdefghij', '[REDACTED:api-key]'],
  [apiKeyRule, 'AIzaSyA-abcdefghijklmnopqrstuvwxyz01234', '[REDACTED:api-key]'],
  [apiKeyRule, 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0', '[REDACTED:api-key]'],
  [apiKeyAssignmentRule, 'api_key=Zx9yW8vU7tS6rQ5pO4nM', 'api_key=[REDACTED:api-key]'],
  [apiKeyAssignmentRule, '"apiKey": "Zx9yW8vU7tS6rQ5pO4nM"', '"apiKey": "[REDACTED:api-key]"'],
  [apiKeyAssignmentRule, 'X-API-Key: Zx9yW8vU7tS6rQ5pO4nM', 'X-API-Key: [REDACTED:api-key]'],
  [apiKeyAssignmentRule, "CLIENT_SECRET = 'Zx9yW8vU7tS6rQ5pO4nM'", "CLIENT_SECRET = '[REDACTED:api-key]'"],
  [apiKeyAssignmentRule, 'access-token :Zx9yW8vU7tS6rQ5pO4nM', 'access-token :[REDACTED:api-key]'],
  [emailRule, 'ada@example.com', '[REDACTED:email]'],
  [emailRule, 'ada.lovelace+ai@analytical.example.co.uk', '[REDACTED:email]'],
  [emailRule, `${'l'.repeat(64)}@${'d'.repeat(63)}.io`, '[REDACTED:email]'],
  [cardNumberRule, '4111 1111 1111 1111', '[REDACTED:card]'],
  [cardNumberRule, '5500-0000-0000-0004', '[REDACTED:card]'],
  [cardNumberRule, '4111111111111111', '[REDACTED:card]'],
  [cardNumberRule, '378282246310005', '[REDACTED:card]'],
  [cardNumberRule, '4222222222222', '[REDACTED:card]'],
  [cardNumberRule, '6011 0009 9013 9424 009', '[REDACTED:card]'],
  [cardNumberRule, '5555 5555 5555 4444', '[REDACTED:card]'],
  [cardNumberRule, '2223003122003222', '[REDACTED:card]'],
  [cardNumberRule, '3714 496353 98431', '[REDACTED:card]'],
  [cardNumberRule, '6011111111111117', '[REDACTED:card]'],
  [cardNumberRule, '3530-1113-3330-0000', '[REDACTED:card]'],
  [cardNumberRule, '30569309025904', '[REDACTED:card]'],
  [cardNumberRule, '6200 0000 0000 0005', '[REDACTED:card]'],
  [cardNumberRule, '6759649826438453', '[REDACTED:card]'],
  [awsSecretKeyRule, 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = [REDACTED:aws-secret]'],
  [awsSecretKeyRule, 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret]'],
  [awsSecretKeyRule, '"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', '"SecretAccessKey": "[REDACTED:aws-secret]"'],
  [awsSecretKeyRule, 'aws_secret_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_key: [REDACTED:aws-secret]'],
  [passwordAssignmentRule, '"password": "hunter22"', '"password": "[REDACTED:password]"'],
  [passwordAssignmentRule, "passwd='s3cr3t!'", "passwd='[REDACTED:password]'"],
  [passwordAssignmentRule, '"dbPassword": "correct-horse"', '"dbPassword": "[REDACTED:password]"'],
  [passwordAssignmentRule, 'GITHUB_TOKEN: "ab12cd34ef56"', 'GITHUB_TOKEN: "[REDACTED:secret]"'],
  [passwordAssignmentRule, "webhook_secret = 'whsec_0a1b2c3d'", "webhook_secret = '[REDACTED:secret]'"],
  [basicAuthRule, 'Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Authorization: Basic [REDACTED:credentials]'],
  [basicAuthRule, '"authorization": "basic dXNlcjpwYXNzd29yZA=="', '"authorization": "basic [REDACTED:credentials]"'],
  [basicAuthRule, 'Proxy-Authorization: Basic dXNlcjpwYXNz', 'Proxy-Authorization: Basic [REDACTED:credentials]'],
  [jwtRule, 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c', '[REDACTED:jwt]'],
];

const nearMisses: readonly string[] = [
  '4111 1111 1111 1112',
  '4111111111111112',
  '41111111111111111111 is 20 digits',
  '4111  1111  1111  1111',
  'call 555-123-4567 on 2024-01-15',
  'sk-',
  'sk-short',
  'the task-abcdefghijklmnopqrstuvwxyz',
  'monkey-abcdefghijklmnopqrstuvwxyz0123',
  'AKIA is how AWS keys start',
  'meet @ noon',
  'ping @ada on chat',
  'ada@localhost and x@y.c',
  'Bearer token',
  'the bearer of bad news',
  'api_key=short',
  'api key: see the docs',
  pem('CERTIFICATE'),
  '-----BEGIN PUBLIC KEY-----',
  'at 1796392204105 ms',
  '1796392204105',
  'order 112-3456789-1234567 shipped',
  'ISBN 978-3-16-148410-0',
  'hash 356a192b7913b04c54574d18c28d46e6395428ab4111111111111111',
  'id 4111111111111111abc',
  'the password is short',
  'The secret: patience.',
  'token: n/a',
  'max_tokens=4096 and token_limit=100000',
  'password_hash uses bcrypt',
  'aws_secret_access_key = tooShortToBeAKey',
  'Authorization: Basic realm',
  'eyJmb28iOiJiYXIifQ==',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0',
  'uuid 123e4567-e89b-12d3-a456-426614174000',
];

describe('built-in redaction rules', () => {
  const cases = truePositives.map(([rule, secret, replaced]) => [rule.id, secret, replaced, rule] as const);

  it.each(cases)('%s: redacts %j', (_id, secret, replaced, rule) => {
    expect(redactText(builtInRules, ` ${secret} `)).toBe(` ${replaced} `);
    expect(redactText([rule], `(${secret})`)).toBe(`(${replaced})`);
  });

  it.each(nearMisses)('keeps %j', (text) => {
    expect(redactText(builtInRules, text)).toBe(text);
  });

  it.each(cases)('%s: the tail holds every prefix of the match in %j', (_id, secret, _replaced, rule) => {
    const text = ` ${secret}`;
    const match = new RegExp(rule.pattern.source).exec(text);
    expect(match).not.toBeNull();
    const { index, 0: found } = match!;
    for (let length = 1; length <= found.length; length++) {
      expect([length, text.slice(0, index + length).search(rule.tail)]).toEqual([length, index]);
    }
  });

  it.each(cases)('%s: the shape fits every prefix of the match in %j, and the match', (_id, secret, _replaced, rule) => {
    const text = ` ${secret}`;
    const found = new RegExp((rule.block?.head ?? rule.pattern).source).exec(text)!;
    const shape = compileShape(rule.id, rule.shape!);
    const prefixes = Array.from({ length: found[0].length }, (_, i) => found[0].slice(0, i + 1));
    expect(prefixes.filter((prefix) => !walkShape(shape, prefix).alive)).toEqual([]);
    expect(walkShape(shape, found[0]).fits).toBe(true);
    expect(rule.shape!.notAfter?.test(text[found.index - 1]!) ?? false).toBe(false);
  });

  it('has a shape for every built-in rule', () => {
    expect(builtInRules.filter((rule) => rule.shape === undefined).map((rule) => rule.id)).toEqual([]);
  });

  it.each(builtInRules)('$id: the tail lets a finished sentence go', (rule) => {
    expect('Hello world, and goodbye! '.search(rule.tail)).toBe(-1);
  });

  it('redacts an unterminated private key block to the end of the text', () => {
    expect(redactText(builtInRules, 'key:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE')).toBe('key:\n[REDACTED:private-key]');
  });

  it('redacts each of several secrets in one text', () => {
    const text = 'Mail ada@example.com, card 4111-1111-1111-1111, Authorization: Bearer abcdefghijklmnopqrstu.';
    expect(redactText(builtInRules, text)).toBe('Mail [REDACTED:email], card [REDACTED:card], Authorization: Bearer [REDACTED:token]');
  });

  it('gives a card the Luhn check after stripping separators', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
    expect(cardNumberRule.replace('4111 1111 1111 1112')).toBeNull();
  });

  it('knows the card brands by IIN range and length, and nothing else', () => {
    const brands = ['4111111111111111', '4222222222222', '5105105105105100', '2720990000000007', '371449635398431', '6011000990139424', '6445644564456445',
      '3566002020360505', '36227206271667', '3000000000000004', '6212345678901232', '5018000000000009'].map(cardBrand);
    expect(brands).toEqual(['visa', 'visa', 'mastercard', 'mastercard', 'amex', 'discover', 'discover', 'jcb', 'diners', 'diners', 'unionpay', 'maestro']);
    expect(['1796392204105', '4111111111111', '5605105105105100', '3714496353984310', '7000000000000000', '9780306406157'].map(cardBrand))
      .toEqual([undefined, 'visa', undefined, undefined, undefined, undefined]);
    expect(luhnValid('1796392204105')).toBe(true);
    expect(redactText(builtInRules, 'at 1796392204105')).toBe('at 1796392204105');
  });

  it('redacts the card inside a longer run of digit groups and keeps the rest', () => {
    expect(redactText(builtInRules, 'card 4111 1111 1111 1111 12/25')).toBe('card [REDACTED:card] 12/25');
    expect(redactText(builtInRules, 'ref 32 4111-1111-1111-1111.')).toBe('ref 32 [REDACTED:card].');
    expect(redactText(builtInRules, 'mixed 4111 1111-1111 1111')).toBe('mixed 4111 1111-1111 1111');
  });

  it('scans pathological inputs in linear time', () => {
    const inputs = [
      `${'a'.repeat(100_000)}@`, '1 '.repeat(50_000), '-'.repeat(100_000), `-----BEGIN PRIVATE KEY-----${'-----END '.repeat(10_000)}`,
      'Bearer '.repeat(20_000), 'a@'.repeat(50_000), `a@${'b.'.repeat(50_000)}`, 'api_key='.repeat(10_000), 'sk-'.repeat(30_000),
      'password='.repeat(10_000), 'password: x'.repeat(10_000), 'eyJ'.repeat(30_000), 'eyJabcdefg.'.repeat(10_000), 'Authorization: Basic '.repeat(5_000),
      'aws_secret_access_key='.repeat(5_000), '4111 '.repeat(20_000), `${'-----BEGIN PRIVATE KEY-----\n'.repeat(3_000)}`,
    ];
    const started = performance.now();
    for (const input of inputs) redactText(builtInRules, input);
    // about 0.1 s here; a catastrophic backtrack takes minutes
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('keeps every pattern global and every tail anchored at the end', () => {
    for (const rule of builtInRules) {
      expect(rule.pattern.global).toBe(true);
      expect(rule.tail.source.endsWith('$')).toBe(true);
    }
  });
});
