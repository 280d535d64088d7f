/** Decodes a record read from a cache store: anything that is not a well-formed answer is a miss. */
import * as E from 'fp-ts/Either';
import type { CachedAnswer } from '../ports';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Right(answer) for a well-formed record, Left(problems) otherwise. */
export const decodeCachedAnswer = (value: unknown): E.Either<readonly string[], CachedAnswer> => {
  if (!isRecord(value)) return E.left(['record is not an object']);
  const problems: string[] = [];
  if (typeof value.text !== 'string' || value.text.length === 0) problems.push('text must be a non-empty string');
  if (typeof value.createdAt !== 'number' || !Number.isFinite(value.createdAt)) problems.push('createdAt must be a finite number');
  if (typeof value.planId !== 'string' || value.planId.length === 0) problems.push('planId must be a non-empty string');
  return problems.length > 0
    ? E.left(problems)
    : E.right({ text: value.text as string, createdAt: value.createdAt as number, planId: value.planId as string });
};
