import { redactOutput, writeStderr } from '../../src/cli/redact-output';

describe('what the CLIs print on stderr', () => {
  const OPENAI_KEY = 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z';
  const GITHUB_TOKEN = 'ghp_0123456789abcdefABCDEF0123456789abcd';

  it('passes through the library redactor: no key-shaped string survives, the rest reads as before', () => {
    const text = `System error (expert:m, request r1): upstream said ${OPENAI_KEY} and ${GITHUB_TOKEN}\n`;
    const redacted = redactOutput(text);
    expect(redacted).toMatch(/^System error \(expert:m, request r1\): upstream said \[REDACTED:[a-z-]+\] and \[REDACTED:[a-z-]+\]\n$/);
    expect(redacted).not.toMatch(/sk-proj-|ghp_/);
    expect(redactOutput('Listening on http://127.0.0.1:8080/\n')).toBe('Listening on http://127.0.0.1:8080/\n');
  });

  it('writes the redacted text to stderr', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      writeStderr(`bad key ${OPENAI_KEY}\n`);
    } finally {
      spy.mockRestore();
    }
    expect(written).toHaveLength(1);
    expect(written[0]).not.toContain(OPENAI_KEY);
    expect(written[0]).toContain('[REDACTED:');
  });
});
