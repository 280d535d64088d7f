import * as E from 'fp-ts/Either';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readConfigFile } from '../../../src/cli/config/read-config-file';

describe('readConfigFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialogue-config-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads a file as UTF-8 text', () => {
    fs.writeFileSync(path.join(dir, 'a.json'), '{"é": 1}');
    expect(readConfigFile(path.join(dir, 'a.json'))).toEqual(E.right('{"é": 1}'));
  });

  it('tells a missing file from one that cannot be read', () => {
    expect(readConfigFile(path.join(dir, 'none.json'))).toEqual(E.left({ _tag: 'missing' }));
    expect(readConfigFile(dir)).toEqual(E.left({ _tag: 'unreadable', reason: 'it is a folder' }));
  });
});
