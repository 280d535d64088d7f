import { PassThrough } from 'node:stream';
import { readText } from '../../src/cli/read-stdin';

describe('readText', () => {
  it('reads the whole stream as UTF-8, multi-byte characters split across chunks included', async () => {
    const stream = new PassThrough();
    const text = readText(stream);
    const bytes = Buffer.from('Qu’est-ce qu’une monade ?\n');
    stream.write(bytes.subarray(0, 3));
    stream.end(bytes.subarray(3));
    await expect(text).resolves.toBe('Qu’est-ce qu’une monade ?\n');
  });

  it('stops at abort with what it has, and destroys the stream', async () => {
    const stream = new PassThrough();
    const controller = new AbortController();
    const text = readText(stream, controller.signal);
    stream.write('partial');
    controller.abort();
    await expect(text).resolves.toBe('partial');
    expect(stream.destroyed).toBe(true);
  });

  it('rejects with the stream error', async () => {
    const stream = new PassThrough();
    const text = readText(stream);
    stream.destroy(new Error('boom'));
    await expect(text).rejects.toThrow('boom');
  });
});
