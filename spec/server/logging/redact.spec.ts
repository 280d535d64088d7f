import { redactDeep, redactLine } from '../../../src/server/logging/redact';

const KEY = `sk-proj-${'Ab3dEf6hIj9kLm2nOp5qRs8t'}`;

describe('redactLine', () => {
  it('leaves a clean line as it is', () => {
    const line = '{"level":"info","msg":"request","status":200}\n';
    expect(redactLine(line)).toBe(line);
  });

  it('redacts a secret the record let through, string by string, and keeps the line valid JSON', () => {
    const line = `${JSON.stringify({ level: 'info', msg: 'request', nested: { list: [`key ${KEY}`] }, [KEY]: 1 })}\n`;
    const redacted = redactLine(line);
    expect(redacted).not.toContain(KEY);
    expect(JSON.parse(redacted)).toEqual({ level: 'info', msg: 'request', nested: { list: ['key [REDACTED:api-key]'] }, '[REDACTED:api-key]': 1 });
    expect(redacted.endsWith('}\n')).toBe(true);
  });

  it('withholds a line it cannot parse rather than write the secret', () => {
    expect(redactLine(`not json ${KEY}\n`)).toBe('{"msg":"log line withheld: it could not be redacted"}\n');
  });
});

describe('redactDeep', () => {
  it('redacts every string, keeps other values, and cuts what nests too deep', () => {
    let deep: unknown = KEY;
    for (let i = 0; i < 10; i++) deep = { d: deep };
    expect(redactDeep({ a: [1, true, null, KEY], deep })).toEqual({ a: [1, true, null, '[REDACTED:api-key]'], deep: expect.anything() });
    expect(JSON.stringify(redactDeep(deep))).not.toContain(KEY);
  });
});
