import fc from 'fast-check';
import { compileRules } from '../../src/strategies/compiled-rules';
import { Scanner } from '../../src/strategies/redaction-scanner';
import { builtInRules, literalAtoms, literalSteps, prefixChain, privateKeyRule, run, type RedactionRule } from '../../src/strategies/redaction-rules';
import { createRedactor, redactText } from '../../src/strategies/streaming-redactor';
import { pemBlock, randomKit, rsa8192Key } from './redaction-samples';

const RUNS = Number(process.env['REDACTOR_RUNS'] ?? 300);

/** Pushes the pieces, returning what each push emitted and the flush. */
const stream = (pieces: readonly string[], options = {}, rules = builtInRules) => {
  const redactor = createRedactor(rules, options);
  const emitted = pieces.map((piece) => redactor.push(piece));
  return { emitted, rest: redactor.flush(), text: emitted.join('') };
};

/** Splits text at the given cut points (any numbers; taken modulo the length, sorted). */
const splitAt = (text: string, cuts: readonly number[]): string[] => {
  const points = [...new Set(cuts.map((cut) => (text.length === 0 ? 0 : cut % (text.length + 1))))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const point of [...points, text.length]) {
    pieces.push(text.slice(from, point));
    from = point;
  }
  return pieces;
};

const secrets = [
  'sk-abcdefghijklmnopqrstuvwxyz012345',
  'sk-proj-AbCdEf0123456789_xyz-QRSTUV',
  'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  'AKIAIOSFODNN7EXAMPLE',
  'xoxb-1234567890-abcdefghij',
  'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature_x',
  'api_key="Zx9yW8vU7tS6rQ5pO4nM"',
  'ada.lovelace+ai@analytical.example.co.uk',
  '4111 1111 1111 1111',
  '5500-0000-0000-0004',
  '378282246310005',
  '3530 1113 3330 0000',
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98\nQW1hc2tlZA==\n-----END RSA PRIVATE KEY-----',
  'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'DB_PASSWORD=hunter2!',
  'Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
];
/** The part of each secret that must never be emitted. */
const secretCore = (secret: string): string =>
  secret.startsWith('Bearer ') ? secret.slice(7)
    : secret.startsWith('Authorization: Basic ') ? secret.slice(21)
      : secret.startsWith('api_key=') ? secret.slice(9, -1)
        : /^[\w ]+=/.test(secret) ? secret.replace(/^[\w ]+= ?/, '') : secret;

/** Filler made of fragments that look like the start of a secret (to stress the hold-back). */
const filler = fc.string({
  unit: fc.constantFrom('a', 'B', 'e', 'r', ' ', '\n', '.', ',', '-', '_', '@', '1', '4', 'sk', 'Bearer', 'key', '=', '"', 'x.org', '----'),
  maxLength: 30,
});

describe('createRedactor', () => {
  it('emits a word once the next token shows it cannot grow into a match', () => {
    const redactor = createRedactor(builtInRules);
    expect(redactor.push('Hello')).toBe('');
    expect(redactor.push(' world')).toBe('Hello ');
    expect(redactor.push(', ')).toBe('world, ');
    expect(redactor.flush()).toBe('');
  });

  it('emits at once what no rule could match', () => {
    const redactor = createRedactor(builtInRules);
    expect(redactor.push('Hi! ')).toBe('Hi! ');
    expect(redactor.push('(ok) ')).toBe('(ok) ');
  });

  it('catches an e-mail address split across tokens', () => {
    const { emitted, rest } = stream(['Mail', ' ada', '@', 'exam', 'ple', '.com', ' now']);
    expect(emitted).toEqual(['', 'Mail ', '', '', '', '', '[REDACTED:email] ']);
    expect(rest).toBe('now');
  });

  it('catches a key split into single characters', () => {
    const text = 'key: sk-abcdefghijklmnopqrstuvwxyz012345 done';
    const { emitted, rest } = stream([...text]);
    expect(emitted.join('') + rest).toBe('key: [REDACTED:api-key] done');
    expect(emitted.some((piece) => piece.includes('sk-'))).toBe(false);
  });

  it('keeps a failed card candidate and releases it when it stops growing', () => {
    const { emitted, rest } = stream(['4111 1111', ' 1111 1112', ' is', ' not', ' valid']);
    expect(emitted.join('') + rest).toBe('4111 1111 1111 1112 is not valid');
    expect(emitted[1]).toBe('');
  });

  it('swallows a private key block from its header and redacts it as soon as its END line arrives', () => {
    const { emitted, rest } = stream(['-----BEGIN PRIVATE', ' KEY-----\nMIIEv', 'QIBADANBg\n-----END PRIVATE KEY-----', '\nbye ']);
    expect(emitted).toEqual(['', '', '[REDACTED:private-key]', '\nbye ']);
    expect(rest).toBe('');
  });

  it('matches whole-text redaction for secrets at random places and random splits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(filler, fc.constantFrom(...secrets)), { maxLength: 4 }),
        filler,
        fc.array(fc.nat(), { maxLength: 40 }),
        (parts, end, cuts) => {
          const text = parts.map(([before, secret]) => `${before}, ${secret} ,`).join('') + end;
          const whole = redactText(builtInRules, text);
          const { text: out, rest } = stream(splitAt(text, cuts));
          expect(out + rest).toBe(whole);
          for (const [, secret] of parts) expect(out + rest).not.toContain(secretCore(secret));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('matches whole-text redaction for any text made of secret prefixes and bodies', () => {
    const prefix = fc.constantFrom(
      'sk-', 'ghp_', 'github_pat_', 'glpat-', 'sk_live_', 'AKIA', 'AIza', 'xoxb-', 'key-', 'Bearer ', 'bearer\t', 'api_key=', 'Access-Token :',
      '"X-Api-Key": "', '@', '.', ' ', '\n', '4111 ', '1111-',
      '-----BEGIN RSA PRIVATE KEY-----\n', '\n-----END RSA PRIVATE KEY-----', '-----BEGIN ', 'PRIVATE KEY', '-----',
      'aws_secret_access_key = ', '"SecretAccessKey": "', 'password=', 'DB_PASSWORD: ', 'token=', '"passwd": "', 'Authorization: Basic ',
      'eyJ', '.eyJ', '.', '3782 822463 ', '6011-', '5018', '1796392204105',
    );
    const word = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const body = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '7', '-', '_', '.', '=', ' ', '@', '/', '+', word, word.toUpperCase()), maxLength: 30 });
    // each rule alone too, so that one rule's shape cannot hide a gap in another's; and without shapes, through the tails
    const unshaped = builtInRules.map((rule) => ({ ...rule, shape: undefined }));
    const ruleSets = [builtInRules, unshaped, ...builtInRules.map((rule) => [rule]), ...unshaped.map((rule) => [rule])];
    fc.assert(
      fc.property(fc.array(fc.tuple(prefix, body), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 60 }), fc.constantFrom(...ruleSets), (items, cuts, rules) => {
        const text = items.map(([head, rest]) => head + rest).join('');
        const { text: out, rest } = stream(splitAt(text, cuts), {}, rules);
        expect(out + rest).toBe(redactText(rules, text));
      }),
      { numRuns: RUNS },
    );
  });

  it('lets lookbehinds see text that was already emitted', () => {
    const run = 'x'.repeat(70);
    const { emitted, rest } = stream([run, 'y@example.com ', 'ok']);
    expect(emitted[0]).toBe(run);
    expect(emitted.join('') + rest).toBe(redactText(builtInRules, `${run}y@example.com ok`));
    expect(rest).toBe('ok');
  });

  it('matches whole-text redaction for arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.array(fc.nat(), { maxLength: 20 }), (text, cuts) => {
        const { text: out, rest } = stream(splitAt(text, cuts));
        expect(out + rest).toBe(redactText(builtInRules, text));
      }),
      { numRuns: RUNS },
    );
  });

  it('never holds back more than maxHoldBack characters', () => {
    const word = 'a'.repeat(300);
    const redactor = createRedactor(builtInRules, { maxHoldBack: 10 });
    let pushed = 0;
    let out = '';
    for (const ch of word) {
      pushed += 1;
      out += redactor.push(ch);
      expect(pushed - out.length).toBeLessThanOrEqual(10);
    }
    expect(out + redactor.flush()).toBe(word);
  });

  describe('private-key blocks', () => {
    const key = rsa8192Key();
    const keyLines = key.split('\n');
    const text = `Here is the key you asked for:\n${key}\nKeep it safe, ada@example.com.`;
    const chunks = (size: number): string[] => text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g'))!;

    it.each([4, 1])('lets no line of a 6,392-character RSA-8192 key out when streamed in %i-character tokens', (size) => {
      const { emitted, rest } = stream(chunks(size));
      expect(key).toHaveLength(6392);
      const out = emitted.join('') + rest;
      expect(out).toBe('Here is the key you asked for:\n[REDACTED:private-key]\nKeep it safe, [REDACTED:email].');
      expect(out).toBe(redactText(builtInRules, text));
      expect(keyLines.filter((line) => emitted.some((piece) => piece.includes(line)))).toEqual([]);
    });

    it('never releases an open block, however long, and redacts it whole at the end of the stream', () => {
      const redactor = createRedactor(builtInRules, { maxHoldBack: 100 });
      const pieces = ['intro ', '-----BEGIN EC PRIVATE KEY-----\n', ...Array.from({ length: 2000 }, () => 'MIIEowIBAAKCAQEA\n')];
      expect(pieces.map((piece) => redactor.push(piece)).join('')).toBe('intro ');
      expect(redactor.flush()).toBe('[REDACTED:private-key]');
    });

    it('keeps at most the characters that may begin an END line while inside a block', () => {
      const scanner = new Scanner(compileRules(builtInRules));
      scanner.push('key: -----BEGIN OPENSSH PRIVATE KEY-----\n', 4096);
      const lines = Array.from({ length: 64 }, (_, i) => `${randomKit(i).chars('ABCDEFabcdef0123456789+/', 63)}-\n`);
      let out = '';
      let kept = 0;
      for (let i = 0; i < 16_000; i++) { // 1 MB of body
        out += scanner.push(lines[i % 64]!, 4096);
        kept = Math.max(kept, scanner.kept);
      }
      expect(out).toBe('');
      // the END line's longest form (71) less one, and 16 characters of look-behind context
      expect(kept).toBeLessThanOrEqual(70 + 16);
      expect(scanner.push('-----END OPENSSH PRIVATE KEY----- ok', 4096)).toBe('[REDACTED:private-key] ');
      expect(scanner.finish()).toBe('ok');
    });

    it('finds an END line split across pushes, and blocks one after another, with or without an endTail', () => {
      const rnd = randomKit(11);
      const two = `${pemBlock(rnd, 'PRIVATE KEY', 300)}\n-----END--\n${pemBlock(rnd, 'PGP PRIVATE KEY BLOCK', 200)}\n-----END PRIVATE KEY-----`;
      const withoutEndTail = [{ ...privateKeyRule, block: { ...privateKeyRule.block!, endTail: undefined } }];
      fc.assert(
        fc.property(fc.array(fc.nat(), { maxLength: 30 }), fc.constantFrom(builtInRules, withoutEndTail), (cuts, rules) => {
          const { emitted, rest } = stream(splitAt(two, cuts), {}, rules);
          expect(emitted.join('') + rest).toBe('[REDACTED:private-key]\n-----END--\n[REDACTED:private-key]\n-----END PRIVATE KEY-----');
        }),
        { numRuns: RUNS },
      );
    });

    it('streams a block rule without a shape through its tail, still never releasing the block', () => {
      const rules = [{ ...privateKeyRule, shape: undefined }];
      const { emitted, rest } = stream(chunks(7), { maxHoldBack: 200 }, rules);
      expect(keyLines.filter((line) => emitted.some((piece) => piece.includes(line)))).toEqual([]);
      expect(emitted.join('') + rest).toBe(redactText(rules, text));
    });
  });

  it('emits no more than maxLength characters and matches the truncated whole-text redaction', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(' word', ' a@b.io', ' 4111 1111 1111 1111', '!'), { maxLength: 30 }), fc.nat({ max: 120 }), (pieces, maxLength) => {
        const { emitted, rest } = stream(pieces, { maxLength });
        const out = emitted.join('') + rest;
        expect(out.length).toBeLessThanOrEqual(maxLength);
        expect(out).toBe(redactText(builtInRules, pieces.join('')).slice(0, maxLength));
      }),
      { numRuns: RUNS },
    );
  });

  it('drops everything after maxLength was reached', () => {
    const redactor = createRedactor(builtInRules, { maxLength: 5 });
    expect(redactor.push('Hi there ')).toBe('Hi th');
    expect(redactor.push('more ')).toBe('');
    expect(redactor.flush()).toBe('');
  });

  it('starts over after flush', () => {
    const redactor = createRedactor(builtInRules, { maxLength: 4 });
    redactor.push('abcdef ');
    redactor.flush();
    expect(redactor.push('xyz ')).toBe('xyz ');
    expect(redactor.push('')).toBe('');
  });

  it('streams custom rules without a shape through their tails, with different flags, in order', () => {
    const pin: RedactionRule = {
      id: 'pin', version: '1',
      pattern: /pin=\d{4,8}/gi,
      tail: new RegExp(`${prefixChain(literalAtoms('pin='), '\\d{0,8}')}$`, 'i'),
      replace: () => 'pin=***',
    };
    const rules = [...builtInRules, pin];
    fc.assert(
      fc.property(fc.array(fc.constantFrom('PIN=', '1234', '5', ' ', 'a@b.io', 'pi', 'password=', 'x'), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 20 }), (fragments, cuts) => {
        const text = fragments.join('');
        const { text: out, rest } = stream(splitAt(text, cuts), {}, rules);
        expect(out + rest).toBe(redactText(rules, text));
      }),
      { numRuns: RUNS },
    );
    expect(redactText(rules, 'PIN=1234 mail a@b.io')).toBe('pin=*** mail [REDACTED:email]');
  });

  it('still redacts whole matches of a custom rule whose tail holds too little', () => {
    const sloppy: RedactionRule = { id: 'sloppy', version: '1', pattern: /TICKET-\d{4}/g, tail: /TICKET-\d{0,4}$/, replace: () => '[ticket]' };
    expect(redactText([sloppy], 'a TICKET-1234 b')).toBe('a [ticket] b');
    expect(stream(['a TICKET-1234 b', ' c'], {}, [sloppy]).text).toBe('a [ticket] b c');
  });

  it('follows a custom rule by its shape, and rejects a shape whose steps are ambiguous', () => {
    const ticket: RedactionRule = {
      id: 'ticket', version: '1', pattern: /TICKET-\d{4,6}(?!\d)/g, tail: /TICKET-\d{0,6}$/, replace: () => '[ticket]',
      shape: { notAfter: /\w/, steps: [...literalSteps('TICKET-'), run(/\d/, 4, 7)] },
    };
    const rules = [...builtInRules, ticket];
    fc.assert(
      fc.property(fc.array(fc.constantFrom('TICKET-', 'TICK', '12', '345', '6789', ' ', 'x', '-'), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 20 }), (fragments, cuts) => {
        const text = fragments.join('');
        const { text: out, rest } = stream(splitAt(text, cuts), {}, rules);
        expect(out + rest).toBe(redactText(rules, text));
      }),
      { numRuns: RUNS },
    );
    expect(stream(['see TICK', 'ET-12', '34 now'], {}, rules).text).toBe('see [ticket] ');
    const ambiguous = { ...ticket, shape: { steps: [run(/[A-Z-]/, 1, 7), run(/-/, 1, 1), run(/\d/, 4, 6)] } };
    expect(() => createRedactor([ambiguous])).toThrow(TypeError);
    expect(() => createRedactor([{ ...ticket, shape: { steps: [run(/\d/, 0, 3)] } }])).toThrow(TypeError);
  });

  it('rejects negative or fractional limits', () => {
    expect(() => createRedactor(builtInRules, { maxLength: -1 })).toThrow(RangeError);
    expect(() => createRedactor(builtInRules, { maxHoldBack: 1.5 })).toThrow(RangeError);
  });

  it('passes text through with no rules', () => {
    expect(stream(['a@b.io', ' sk-x'], {}, []).text).toBe('a@b.io sk-x');
  });
});
