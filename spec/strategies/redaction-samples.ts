/**
 * Seeded generators of secrets (one kind per type, in the formats the rules claim to catch) and of
 * benign look-alikes, for the redaction corpus and the streaming specs. Deterministic: the same
 * seed gives the same samples.
 */
import { seededRandom } from '../../src/strategies/backoff';
import { luhnValid } from '../../src/strategies/redaction-rules';

/** A secret as it appears in text, the parts of it that must never be emitted, and the marker it becomes. */
export interface SecretSample { readonly type: string; readonly text: string; readonly cores: readonly string[]; readonly marker: string }
/** A benign look-alike, which must come out unchanged. */
export interface BenignSample { readonly type: string; readonly text: string }

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const BASE64 = `${ALNUM}+/`;
const BASE64URL = `${ALNUM}-_`;
const HEX = '0123456789abcdef';

/** Random helpers over one seeded source. */
export const randomKit = (seed: number) => {
  const rnd = seededRandom(seed);
  const int = (low: number, high: number): number => low + Math.floor(rnd() * (high - low + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const chars = (alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]!).join('');
  return { rnd, int, pick, chars };
};
type Kit = ReturnType<typeof randomKit>;

const base64 = (text: string): string => Buffer.from(text).toString('base64');
const base64url = (text: string): string => Buffer.from(text).toString('base64url');

/** A PEM-style block of `bodyChars` base64 characters in lines of `width`. */
export const pemBlock = (kit: Kit, label: string, bodyChars: number, width = 64, preamble = ''): string => {
  const body = kit.chars(BASE64, bodyChars).match(new RegExp(`.{1,${width}}`, 'g'))!.join('\n');
  return `-----BEGIN ${label}-----\n${preamble}${body}\n-----END ${label}-----`;
};

/** The RSA-8192-shaped key of the brief: 6,392 characters, PKCS#1 header, 64-character lines. */
export const rsa8192Key = (seed = 8192): string => {
  const frame = '-----BEGIN RSA PRIVATE KEY-----\n\n-----END RSA PRIVATE KEY-----'.length;
  const bodyChars = Math.floor(((6392 - frame) * 64) / 65) + 1; // the body's newlines included, one line per 64
  const key = pemBlock(randomKit(seed), 'RSA PRIVATE KEY', bodyChars);
  if (key.length !== 6392) throw new Error(`rsa8192Key: ${key.length} characters`);
  return key;
};

const privateKey = (kit: Kit): SecretSample => {
  const [label, chars, width, preamble] = kit.pick([
    ['RSA PRIVATE KEY', kit.pick([828, 1588, 3176, 6320]), 64, ''],
    ['PRIVATE KEY', kit.pick([216, 1624, 3244]), 64, ''],
    ['EC PRIVATE KEY', kit.pick([160, 216, 300]), 64, ''],
    ['OPENSSH PRIVATE KEY', kit.pick([364, 2600]), 70, ''],
    ['ENCRYPTED PRIVATE KEY', kit.pick([1700, 3300]), 64, ''],
    ['DSA PRIVATE KEY', 880, 64, ''],
    ['RSA PRIVATE KEY', 1588, 64, 'Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,9F2B0A1C3D4E5F60718293A4B5C6D7E8\n\n'],
    ['PGP PRIVATE KEY BLOCK', 1400, 64, 'Version: GnuPG v2\n\n'],
  ] as const);
  const text = pemBlock(kit, label, chars, width, preamble);
  return { type: 'private-key', text, cores: text.split('\n').filter((line) => line.length >= 8), marker: '[REDACTED:private-key]' };
};

/** One generator per API-key format the api-key rule claims. */
const API_KEYS: Readonly<Record<string, (kit: Kit) => string>> = {
  openai: (k) => k.pick([`sk-${k.chars(ALNUM, 48)}`, `sk-proj-${k.chars(`${ALNUM}_-`, k.int(60, 156))}`, `sk-svcacct-${k.chars(`${ALNUM}_-`, 80)}`]),
  anthropic: (k) => `sk-ant-api03-${k.chars(`${ALNUM}_-`, 93)}AA`,
  stripe: (k) => `${k.pick(['sk', 'rk'])}_${k.pick(['live', 'test'])}_${k.chars(ALNUM, k.int(24, 99))}`,
  'github-classic': (k) => `gh${k.pick([...'pousr'])}_${k.chars(ALNUM, 36)}`,
  'github-fine-grained': (k) => `github_pat_${k.chars(ALNUM, 22)}_${k.chars(ALNUM, 59)}`,
  gitlab: (k) => `glpat-${k.chars(`${ALNUM}_-`, 20)}`,
  'aws-access-key-id': (k) => `${k.pick(['AKIA', 'ASIA'])}${k.chars(UPPER + DIGITS, 16)}`,
  slack: (k) => `xox${k.pick([...'abposr'])}-${k.chars(DIGITS, 12)}-${k.chars(DIGITS, 13)}-${k.chars(ALNUM, 24)}`,
  google: (k) => `AIza${k.chars(`${ALNUM}_-`, 35)}`,
  mailgun: (k) => `key-${k.chars(HEX, 32)}`,
};

const password = (kit: Kit): string => kit.chars(`${ALNUM}!#$%&()*+,-./:;<=>?@[]^_{|}~`, kit.int(8, 24)).replace(/^[^A-Za-z]/, 'p') + kit.int(0, 9);

const assignment = (kit: Kit, names: readonly string[], value: string): string => {
  const name = kit.pick(names);
  return kit.pick([`${name}=${value}`, `${name} = ${value}`, `${name}: ${value}`, `"${name}": "${value}"`, `${name}='${value}'`]);
};

/** Card numbers per brand: [IIN prefixes, lengths]. */
const BRANDS: Readonly<Record<string, readonly [readonly string[], readonly number[]]>> = {
  visa: [['4'], [13, 16, 19]],
  mastercard: [['51', '52', '53', '54', '55', '2221', '2500', '2720'], [16]],
  amex: [['34', '37'], [15]],
  discover: [['6011', '644', '647', '649', '65'], [16, 19]],
  jcb: [['3528', '3550', '3589'], [16, 19]],
  diners: [['300', '305', '36', '38', '39'], [14, 16]],
  unionpay: [['62'], [16, 17, 18, 19]],
  maestro: [['5018', '5020', '5038', '5893', '6304', '6759', '6761', '6762', '6763'], [13, 16, 19]],
};

const printCard = (kit: Kit, digits: string): string => {
  const sep = kit.pick(['', ' ', '-']);
  if (sep === '') return digits;
  if (digits.length === 15) return [digits.slice(0, 4), digits.slice(4, 10), digits.slice(10)].join(sep);
  return digits.match(/.{1,4}/g)!.join(sep);
};

const card = (kit: Kit, brand: string): string => {
  const [prefixes, lengths] = BRANDS[brand]!;
  const body = kit.pick(prefixes) + '';
  const length = kit.pick(lengths);
  const partial = body + kit.chars(DIGITS, length - body.length - 1);
  return printCard(kit, partial + [...DIGITS].find((d) => luhnValid(partial + d))!);
};

const jwt = (kit: Kit): string => {
  const header = base64url(JSON.stringify({ alg: kit.pick(['HS256', 'RS256', 'ES256']), typ: 'JWT', ...(kit.rnd() < 0.5 ? { kid: kit.chars(HEX, 8) } : {}) }));
  const payload = base64url(JSON.stringify({ sub: kit.chars(DIGITS, 10), name: kit.pick(['Ada', 'Grace Hopper', 'Linus']), iat: kit.int(1_600_000_000, 1_800_000_000), scope: kit.pick(['read', 'read write', 'admin']) }));
  return `${header}.${payload}.${kit.chars(BASE64URL, kit.pick([43, 86, 342]))}`;
};

const email = (kit: Kit): string =>
  `${kit.pick(['ada', 'j.smith', 'ops+alerts', 'billing', 'first.last', 'x_y-z'])}${kit.int(0, 999)}@${kit.pick(['example.com', 'mail.example.co.uk', 'corp-internal.example.org', 'a.io', 'sub.domain.example.travel'])}`;

/** `count` secrets of every type, seeded. */
export const secretSamples = (count: number, seed: number): SecretSample[] => {
  const kit = randomKit(seed);
  const out: SecretSample[] = [];
  const times = (type: string, make: () => Omit<SecretSample, 'type'>): void => {
    for (let i = 0; i < count; i++) out.push({ type, ...make() });
  };
  times('private-key', () => privateKey(kit));
  for (const [format, make] of Object.entries(API_KEYS)) {
    times(`api-key/${format}`, () => {
      const key = make(kit);
      return { text: key, cores: [key], marker: '[REDACTED:api-key]' };
    });
  }
  times('bearer-token', () => {
    const token = kit.pick([jwt(kit), kit.chars(`${ALNUM}._~+/-`, kit.int(16, 120)), `${kit.chars(ALNUM, 20)}.${kit.chars(ALNUM, 30)}`]);
    return { text: `${kit.pick(['Bearer', 'bearer', 'BEARER'])} ${token}`, cores: [token], marker: 'Bearer [REDACTED:token]' };
  });
  times('api-key-assignment', () => {
    const value = kit.chars(`${ALNUM}._~+/=-`, kit.int(16, 64)).replace(/^[^A-Za-z0-9]/, 'a');
    return { text: assignment(kit, ['api_key', 'apiKey', 'API-KEY', 'X-API-Key', 'secret_key', 'access_token', 'auth-token', 'CLIENT_SECRET'], value), cores: [value], marker: '[REDACTED:api-key]' };
  });
  times('aws-secret-key', () => {
    const value = kit.chars(`${ALNUM}/+`, 40);
    return { text: assignment(kit, ['aws_secret_access_key', 'AWS_SECRET_ACCESS_KEY', 'SecretAccessKey', 'aws-secret-key', 'secretAccessKey'], value), cores: [value], marker: '[REDACTED:aws-secret]' };
  });
  times('password', () => {
    const value = password(kit);
    return { text: assignment(kit, ['password', 'PASSWORD', 'DB_PASSWORD', 'db.password', 'dbPassword', 'passwd', 'MYSQL_ROOT_PASSWORD', 'smtp_passphrase'], value), cores: [value], marker: '[REDACTED:password]' };
  });
  times('secret-or-token', () => {
    const value = kit.chars(ALNUM, kit.int(9, 40)).replace(/^./, '7');
    return { text: assignment(kit, ['token', 'GITHUB_TOKEN', 'x-auth-token', 'webhook_secret', 'SECRET', 'refreshToken'], value), cores: [value], marker: '[REDACTED:secret]' };
  });
  times('basic-auth', () => {
    const credentials = base64(`${kit.pick(['admin', 'ada', 'svc-deploy'])}:${password(kit)}`);
    const header = kit.pick(['Authorization: Basic ', 'authorization: basic ', '"Authorization": "Basic ', 'Proxy-Authorization: Basic ']);
    return { text: `${header}${credentials}${header.startsWith('"') ? '"' : ''}`, cores: [credentials.replace(/=+$/, '')], marker: '[REDACTED:credentials]' };
  });
  times('jwt', () => {
    const token = jwt(kit);
    return { text: token, cores: [token], marker: '[REDACTED:jwt]' };
  });
  times('email', () => {
    const address = email(kit);
    return { text: address, cores: [address], marker: '[REDACTED:email]' };
  });
  for (const brand of Object.keys(BRANDS)) {
    times(`card/${brand}`, () => {
      const number = card(kit, brand);
      return { text: number, cores: [number], marker: '[REDACTED:card]' };
    });
  }
  return out;
};

/** One generator per kind of benign look-alike. */
const BENIGN: Readonly<Record<string, (kit: Kit) => string>> = {
  'timestamp-ms': (k) => String(k.int(1_500_000_000_000, 1_999_999_999_999)),
  'timestamp-s': (k) => String(k.int(1_000_000_000, 2_000_000_000)),
  uuid: (k) => [8, 4, 4, 4, 12].map((n) => k.chars(HEX, n)).join('-'),
  sha1: (k) => k.chars(HEX, 40),
  sha256: (k) => k.chars(HEX, 64),
  'order-id': (k) => k.pick([
    `ORD-${k.int(2019, 2026)}-${k.chars(DIGITS, 6)}`, `#${k.chars(DIGITS, 7)}`, `${k.chars(DIGITS, 3)}-${k.chars(DIGITS, 7)}-${k.chars(DIGITS, 7)}`,
    `${k.pick(['1', '7', '8', '9'])}${k.chars(DIGITS, k.int(12, 18))}`, `PO ${k.chars(DIGITS, 10)}`,
  ]),
  phone: (k) => k.pick([
    `+1 ${k.int(201, 989)} ${k.int(200, 999)} ${k.chars(DIGITS, 4)}`, `(${k.int(201, 989)}) ${k.int(200, 999)}-${k.chars(DIGITS, 4)}`,
    `+44 20 ${k.chars(DIGITS, 4)} ${k.chars(DIGITS, 4)}`, `+86 1${k.chars(DIGITS, 2)} ${k.chars(DIGITS, 4)} ${k.chars(DIGITS, 4)}`, `+49 30 ${k.chars(DIGITS, 6)}`,
  ]),
  isbn: (k) => {
    const digits = `978${k.chars(DIGITS, 9)}`;
    const check = (10 - ([...digits].reduce((sum, d, i) => sum + Number(d) * (i % 2 === 0 ? 1 : 3), 0) % 10)) % 10;
    const all = digits + check;
    return k.pick([`ISBN ${all}`, `ISBN-13: ${all.slice(0, 3)}-${all.slice(3, 4)}-${all.slice(4, 7)}-${all.slice(7, 12)}-${all.slice(12)}`, `ISBN 0-${k.chars(DIGITS, 3)}-${k.chars(DIGITS, 5)}-X`]);
  },
  version: (k) => k.pick([`v${k.int(0, 20)}.${k.int(0, 99)}.${k.int(0, 99)}`, `${k.int(1, 9)}.${k.int(0, 40)}.${k.int(0, 9)}-beta.${k.int(1, 9)}`, `node ${k.int(16, 24)}.${k.int(0, 20)}.${k.int(0, 9)}`, `build ${k.int(2019, 2026)}.${k.int(1, 12)}.${k.int(1, 28)}.${k.chars(DIGITS, 4)}`]),
  prose: (k) => k.pick([
    'the password is short', 'reset your password from the settings page', 'keep the secret safe', 'a token of thanks',
    'the bearer of bad news', 'tokens per second', 'The secret: patience', 'token: n/a', 'password: see the vault', 'max_tokens=4096',
    'token_limit=100000', 'password_hash uses bcrypt', 'Bearer tokens expire', 'use a Bearer scheme', 'secret: everything',
    'the API key is in the vault', 'Authorization: Basic realm', 'the token count is 1796392204105', 'password protected',
    'rotate secrets monthly', 'the key-value store', 'Skipping tokens',
  ]),
  base64: (k) => k.pick([
    base64(k.chars(ALNUM + ' .,', k.int(8, 60))), k.chars(BASE64, k.int(16, 80)), base64url(JSON.stringify({ id: k.int(1, 9999) })),
    `${k.chars(BASE64, 20)}==`,
  ]),
};

/** `count` benign look-alikes of every kind, seeded. */
export const benignSamples = (count: number, seed: number): BenignSample[] => {
  const kit = randomKit(seed);
  return Object.entries(BENIGN).flatMap(([type, make]) => Array.from({ length: count }, () => ({ type, text: make(kit) })));
};
