import { readApiKeysFile, type KeysFileSystem } from '../../../src/cli/serve/api-keys-file';

const files = (text: string, mode = 0o100600): KeysFileSystem => ({ readFile: () => text, mode: () => mode });

describe('readApiKeysFile', () => {
  it('reads the keys object', () => {
    expect(readApiKeysFile('keys.json', files('{"k1-0123456789":{"tenant":"alice"}}'))).toEqual({ _tag: 'Right', right: { keys: { 'k1-0123456789': { tenant: 'alice' } } } });
  });

  it('warns when other users may read the file', () => {
    expect(readApiKeysFile('keys.json', files('{}', 0o100644))).toEqual({
      _tag: 'Right', right: { keys: {}, warning: 'the API keys file keys.json can be read by other users; chmod 600 it' },
    });
  });

  it('says what is wrong without quoting the content', () => {
    const broken = readApiKeysFile('keys.json', files('{"sk-proj-0123456789abcdefghij": '));
    expect(broken).toEqual({ _tag: 'Left', left: 'the API keys file keys.json is not valid JSON' });
    expect(readApiKeysFile('keys.json', files('["sk-proj-0123456789abcdefghij"]'))).toEqual({
      _tag: 'Left', left: 'the API keys file keys.json must hold a JSON object { "<key>": { "tenant": "<name>" } }',
    });
    const missing: KeysFileSystem = { readFile: () => { throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }); }, mode: () => 0 };
    expect(readApiKeysFile('nope.json', missing)).toEqual({ _tag: 'Left', left: 'cannot read the API keys file nope.json (ENOENT)' });
  });
});
