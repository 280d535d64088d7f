/**
 * What the CLIs write to stderr passes through the library's output redactor first
 * (`defaultGuard().apply`): an error message may quote what an upstream sent, and an upstream
 * may send anything, key-shaped strings included.
 */
import { defaultGuard } from '../index';

const guard = defaultGuard();

/** `text` with every secret-shaped part replaced (`[REDACTED:...]`). */
export const redactOutput = (text: string): string => guard.apply(text);

/** Writes `text` to stderr, redacted. */
export const writeStderr = (text: string): boolean => process.stderr.write(redactOutput(text));
