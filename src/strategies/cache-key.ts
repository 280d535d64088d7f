/**
 * The plan-aware cache key (DESIGN section 4): SHA-256 hex of a canonical serialization (sorted
 * object keys) of everything that can change the answer.
 */
import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import type { KeyPlan } from '../plan';

/** Bumped whenever the key's layout changes, so old records are never read as new ones. */
export const CACHE_SCHEMA_VERSION = 1;

/** Deterministic JSON with sorted keys; throws on values JSON cannot represent faithfully. */
export const canonicalJson = configure({ deterministic: true, circularValue: TypeError, bigint: true, strict: true }) as
  (value: unknown) => string;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Hash of an expert's params and prompt template; computed once per expert, not per request. */
export const hashTaskParams = (params: Readonly<Record<string, unknown>> | undefined, promptTemplate?: string): string =>
  sha256(canonicalJson({ params: params ?? {}, promptTemplate: promptTemplate ?? null }));

/**
 * The cache key of a request under a plan. Prompt is NFC-normalized and trimmed; `scope`
 * separates tenants; task order counts unless the fusion declares `orderSensitive: false`.
 */
export const cacheKey = (
  request: { readonly prompt: string; readonly scope?: string },
  plan: KeyPlan,
  versions: { readonly fusion: string; readonly guard: string },
): string => {
  const tasks = plan.tasks.map((task) => ({
    expertId: task.expertId,
    model: task.model,
    version: task.version,
    params: task.paramsHash ?? hashTaskParams(task.params, task.promptTemplate),
  }));
  if (plan.fusion.orderSensitive === false) {
    tasks.sort((a, b) => (a.expertId < b.expertId ? -1 : a.expertId > b.expertId ? 1 : 0));
  }
  return sha256(canonicalJson({
    schema: CACHE_SCHEMA_VERSION,
    scope: request.scope ?? null,
    prompt: request.prompt.normalize('NFC').trim(),
    tasks,
    fusion: { id: plan.fusion.id, version: versions.fusion },
    guard: versions.guard,
  }));
};
