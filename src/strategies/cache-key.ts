/**
 * The plan-aware cache key (DESIGN section 4): SHA-256 hex of a canonical serialization (sorted
 * object keys) of everything that can change the answer: the scope, the whole conversation
 * (each message's role, and its content Unicode-NFC-normalized and trimmed), the generation
 * params, each task (expert id, model, version, a hash of its params and prompt template; in
 * plan order unless the fusion is order-insensitive), the fusion (id, version) and the guard's
 * version.
 *
 * The parts that depend only on the plan are serialized once per plan and reused, so a request
 * costs the serialization of its own messages and one SHA-256.
 */
import * as crypto from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import type { ChatMessage, GenerationParams } from '../conversation';
import type { KeyPlan } from '../plan';

/** Bumped whenever the key's layout changes, so old records are never read as new ones. 2: conversations and params. */
export const CACHE_SCHEMA_VERSION = 2;

/** Deterministic JSON with sorted keys; throws on values JSON cannot represent faithfully. */
export const canonicalJson = configure({ deterministic: true, circularValue: TypeError, bigint: true, strict: true }) as
  (value: unknown) => string;

/** One-shot `crypto.hash` where Node has it (20.12+: no Hash object per call, about 2.5x faster for a key), else `createHash`. */
const sha256: (text: string) => string = typeof crypto.hash === 'function'
  ? (text) => crypto.hash('sha256', text, 'hex')
  : (text) => crypto.createHash('sha256').update(text).digest('hex');

/** Hash of an expert's params and prompt template; computed once per expert, not per request. */
export const hashTaskParams = (params: Readonly<Record<string, unknown>> | undefined, promptTemplate?: string): string =>
  sha256(canonicalJson({ params: params ?? {}, promptTemplate: promptTemplate ?? null }));

/** What of a request the key covers. A `prompt` alone is one user message. */
export interface KeyRequest {
  readonly prompt?: string;
  readonly messages?: readonly ChatMessage[];
  readonly params?: GenerationParams;
  readonly scope?: string;
}

/** A message as the key sees it: the role, and the content NFC-normalized and trimmed. */
export const normalizeMessage = ({ role, content }: ChatMessage): ChatMessage => ({ role, content: content.normalize('NFC').trim() });

/** The plan's part of the key (tasks), serialized. */
const tasksJson = (plan: KeyPlan): string => {
  const tasks = plan.tasks.map((task) => ({
    expertId: task.expertId,
    model: task.model,
    version: task.version,
    params: task.paramsHash ?? hashTaskParams(task.params, task.promptTemplate),
  }));
  if (plan.fusion.orderSensitive === false) {
    tasks.sort((a, b) => (a.expertId < b.expertId ? -1 : a.expertId > b.expertId ? 1 : 0));
  }
  return canonicalJson(tasks);
};

/** The serialized parts of a key that depend only on the plan and the versions, by plan object. */
const planParts = new WeakMap<KeyPlan, Map<string, { readonly head: string; readonly tail: string }>>();

const partsOf = (plan: KeyPlan, fusionVersion: string, guardVersion: string): { readonly head: string; readonly tail: string } => {
  let byVersions = planParts.get(plan);
  if (byVersions === undefined) {
    byVersions = new Map();
    planParts.set(plan, byVersions);
  }
  const versions = JSON.stringify([fusionVersion, guardVersion]);
  let parts = byVersions.get(versions);
  if (parts === undefined) {
    // The keys of the payload in sorted order: fusion, guard, messages, params, schema, scope, tasks.
    const head = `{"fusion":${canonicalJson({ id: plan.fusion.id, version: fusionVersion })},"guard":${JSON.stringify(guardVersion)},"messages":`;
    const tail = `,"tasks":${tasksJson(plan)}}`;
    parts = { head, tail };
    if (byVersions.size >= 16) byVersions.delete(byVersions.keys().next().value as string);
    byVersions.set(versions, parts);
  }
  return parts;
};

/** The messages' part of the key: `[{"content":...,"role":...},...]`, normalized. */
const messagesJson = (messages: readonly ChatMessage[]): string => {
  let json = '[';
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    json += `${i === 0 ? '' : ','}{"content":${JSON.stringify(message.content.normalize('NFC').trim())},"role":${JSON.stringify(message.role)}}`;
  }
  return `${json}]`;
};

/**
 * The cache key of a request under a plan: SHA-256 hex of the canonical JSON of
 * `{ fusion: { id, version }, guard, messages, params, schema, scope, tasks }` (see the module doc).
 */
export const cacheKey = (request: KeyRequest, plan: KeyPlan, versions: { readonly fusion: string; readonly guard: string }): string => {
  const messages = request.messages ?? [{ role: 'user', content: request.prompt ?? '' }];
  const { head, tail } = partsOf(plan, versions.fusion, versions.guard);
  const params = request.params === undefined ? 'null' : canonicalJson(request.params);
  const scope = request.scope === undefined ? 'null' : JSON.stringify(request.scope);
  return sha256(`${head}${messagesJson(messages)},"params":${params},"schema":${CACHE_SCHEMA_VERSION},"scope":${scope}${tail}`);
};

/** The same key built the slow, obvious way (one canonical JSON of the whole payload): the reference `cacheKey` is tested against. */
export const cacheKeyReference = (request: KeyRequest, plan: KeyPlan, versions: { readonly fusion: string; readonly guard: string }): string => {
  const messages = request.messages ?? [{ role: 'user' as const, content: request.prompt ?? '' }];
  return sha256(canonicalJson({
    schema: CACHE_SCHEMA_VERSION,
    scope: request.scope ?? null,
    messages: messages.map(normalizeMessage),
    params: request.params ?? null,
    tasks: JSON.parse(tasksJson(plan)) as unknown,
    fusion: { id: plan.fusion.id, version: versions.fusion },
    guard: versions.guard,
  }));
};
