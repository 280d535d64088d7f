import fc from 'fast-check';
import { defaultGuard, noGuard } from '../../src/strategies/output-guard';
import { builtInRules, emailRule, type RedactionRule } from '../../src/strategies/redaction-rules';

const streamThrough = (guard: ReturnType<typeof defaultGuard>, pieces: readonly string[]): string => {
  const redactor = guard.open();
  return pieces.map((piece) => redactor.push(piece)).join('') + redactor.flush();
};

const ticket: RedactionRule = {
  id: 'ticket', version: '1', pattern: /TICKET-\d{4}/g, tail: /T(?:I(?:C(?:K(?:E(?:T(?:-\d{0,4})?)?)?)?)?)?$/, replace: () => '[ticket]',
};

describe('defaultGuard', () => {
  it('redacts final texts with the built-in rules', () => {
    const guard = defaultGuard();
    expect(guard.id).toBe('default');
    expect(guard.apply('Write to ada@example.com with sk-abcdefghijklmnopqrstuvwx.')).toBe('Write to [REDACTED:email] with [REDACTED:api-key].');
  });

  it('redacts streamed tokens exactly as it redacts the whole text', () => {
    const guard = defaultGuard();
    fc.assert(
      fc.property(fc.array(fc.constantFrom(' Bearer', ' abcdefghij', 'klmnopqrst', ' card', ' 4111', ' 1111', '-1111', ' me@x.io', '.'), { maxLength: 25 }), (pieces) => {
        expect(streamThrough(guard, pieces)).toBe(guard.apply(pieces.join('')));
      }),
      { numRuns: 300 },
    );
  });

  it('cuts output to maxLength, streamed and whole', () => {
    const guard = defaultGuard({ maxLength: 12 });
    expect(guard.apply('mail ada@example.com now')).toBe('mail [REDACT');
    expect(streamThrough(guard, ['mail', ' ada@', 'example.com', ' now'])).toBe('mail [REDACT');
  });

  it('defaults maxLength to 100_000', () => {
    expect(defaultGuard().apply('a '.repeat(60_000))).toHaveLength(100_000);
  });

  it('replaces the built-ins with `rules` and adds `extraRules` after them', () => {
    const onlyEmail = defaultGuard({ rules: [emailRule], extraRules: [ticket] });
    expect(onlyEmail.apply('ada@example.com sk-abcdefghijklmnopqrstuvwx TICKET-1234')).toBe('[REDACTED:email] sk-abcdefghijklmnopqrstuvwx [ticket]');
    expect(streamThrough(onlyEmail, ['TICK', 'ET-12', '34 ', 'ok'])).toBe('[ticket] ok');
    expect(defaultGuard({ extraRules: [ticket] }).apply('sk-abcdefghijklmnopqrstuvwx TICKET-1234')).toBe('[REDACTED:api-key] [ticket]');
  });

  it('keeps its version for the same rules and maxLength', () => {
    expect(defaultGuard().version).toBe(defaultGuard({ rules: [...builtInRules], maxLength: 100_000 }).version);
    expect(defaultGuard().version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes its version when the rules or maxLength change', () => {
    const versions = [
      defaultGuard(),
      defaultGuard({ maxLength: 5_000 }),
      defaultGuard({ rules: [emailRule] }),
      defaultGuard({ extraRules: [ticket] }),
      defaultGuard({ extraRules: [{ ...ticket, version: '2' }] }),
      defaultGuard({ extraRules: [{ ...ticket, pattern: /TICKET-\d{5}/g }] }),
      defaultGuard({ rules: [...builtInRules].reverse() }),
    ].map((guard) => guard.version);
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('rejects a negative maxLength', () => {
    expect(() => defaultGuard({ maxLength: -1 })).toThrow(RangeError);
  });
});

describe('noGuard', () => {
  it('passes text through, streamed and whole', () => {
    const text = 'ada@example.com sk-abcdefghijklmnopqrstuvwx 4111 1111 1111 1111';
    expect(noGuard.version).toBe('none');
    expect(noGuard.apply(text)).toBe(text);
    const redactor = noGuard.open();
    expect(redactor.push('ada@')).toBe('ada@');
    expect(redactor.push('example.com')).toBe('example.com');
    expect(redactor.flush()).toBe('');
  });
});
