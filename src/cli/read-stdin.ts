/** Reading the prompt from a piped stdin. */
import type { Readable } from 'node:stream';

/**
 * All of `stream` as UTF-8 text. When `signal` aborts first, stops reading, destroys the stream
 * (so it keeps nothing alive) and resolves with what was read so far.
 */
export const readText = (stream: Readable, signal?: AbortSignal): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: string): void => {
      text += chunk;
    };
    const cleanup = (): void => {
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(text);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onAbort = (): void => {
      cleanup();
      stream.destroy();
      resolve(text);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.setEncoding('utf8');
    stream.on('data', onData).once('end', onEnd).once('error', onError);
  });
