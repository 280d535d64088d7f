/**
 * The AI SDK UI message stream chunks `POST /api/chat` sends (protocol v1: SSE `data: <JSON>`
 * messages, then `data: [DONE]`, with the `x-vercel-ai-ui-message-stream: v1` header), and the
 * shapes of its data parts and message metadata, for `UIMessage<DialogueMessageMetadata,
 * DialogueDataTypes>` on the client.
 *
 * | part | persisted in the message | what |
 * | --- | --- | --- |
 * | `data-plan` (id `plan`) | yes | the router's plan: intent, experts, fusion |
 * | `data-expert` (id = expert id) | yes, replaced in place | one expert's snapshot: status and its text so far |
 * | `data-expert-delta` | no (`transient`, `onData` only) | text appended to that expert's snapshot |
 * | `data-status` | no (`transient`) | a progress note, e.g. "Retry 1/2 in 180ms: gamma (HTTP 503)" |
 * | `text` | yes | the fused answer |
 *
 * Types and constants only, no imports: modules loaded while `src/index.ts` is still loading use it.
 */

/**
 * The `providerMetadata` key of a text part that a later text part replaced: `{ [key]: {
 * superseded: true } }` on its `text-end`. A UI hides such parts; the route drops them from the
 * next request's conversation.
 */
export const SUPERSEDED_METADATA_KEY = 'dialoguePipeline';

/** `data-plan`: what the router chose. */
export interface PlanData {
  readonly intent: string;
  readonly experts: readonly { readonly expertId: string; readonly model: string; readonly version: string }[];
  readonly fusion: { readonly id: string; readonly version: string };
}

/** Where one expert is: not started, streaming, waiting to retry, ended, or not asked (cache hit). */
export type ExpertPartStatus = 'waiting' | 'streaming' | 'retrying' | 'ok' | 'failed' | 'cancelled' | 'skipped';

/** `data-expert`: one expert's snapshot; `data-expert-delta` parts that follow append to `text`. */
export interface ExpertData {
  readonly expertId: string;
  /** The plan's model and version for this expert ('' when the plan did not name it). */
  readonly model: string;
  readonly version: string;
  readonly status: ExpertPartStatus;
  /** The current attempt's text so far (a retry that discards starts it over). */
  readonly text: string;
  /** While `retrying`: the retry's figures. */
  readonly retry?: { readonly attempt: number; readonly maxRetries: number; readonly delayMs: number; readonly reason: string };
  /** Once ended: its duration and token count, and a short, safe failure description. */
  readonly ms?: number;
  readonly tokens?: number;
  readonly error?: string;
}

/** `data-expert-delta` (transient): text appended to the expert's snapshot. */
export interface ExpertDeltaData { readonly expertId: string; readonly delta: string }

/** `data-status` (transient): a human-readable progress note. */
export interface StatusData { readonly message: string }

/** The data part types, as `UIMessage`'s second type argument (a type alias, so it fits the SDK's `UIDataTypes`). */
export type DialogueDataTypes = {
  plan: PlanData;
  expert: ExpertData;
  'expert-delta': ExpertDeltaData;
  status: StatusData;
};

/** Token counts when the pipeline reports them (`estimated`: counted from characters, not by a tokenizer). */
export interface UsageData { readonly inputTokens: number; readonly outputTokens: number; readonly estimated: boolean }

/** The message metadata: `requestId` from `start` (for `POST /api/cancel/:requestId`), the rest from `finish`. */
export interface DialogueMessageMetadata {
  readonly requestId: string;
  readonly fromCache?: boolean;
  readonly degraded?: boolean;
  /** From the request's start to its end, and to the first token that reached the client (null: none), in ms. */
  readonly totalMs?: number;
  readonly ttftMs?: number | null;
  readonly usage?: UsageData;
}

/** Every chunk the route sends. */
export type UIMessageChunk =
  | { readonly type: 'start'; readonly messageId: string; readonly messageMetadata: DialogueMessageMetadata }
  | { readonly type: 'text-start'; readonly id: string }
  | { readonly type: 'text-delta'; readonly id: string; readonly delta: string }
  | { readonly type: 'text-end'; readonly id: string; readonly providerMetadata?: Readonly<Record<string, Readonly<Record<string, boolean>>>> }
  | { readonly type: 'data-plan'; readonly id: 'plan'; readonly data: PlanData }
  | { readonly type: 'data-expert'; readonly id: string; readonly data: ExpertData }
  | { readonly type: 'data-expert-delta'; readonly data: ExpertDeltaData; readonly transient: true }
  | { readonly type: 'data-status'; readonly data: StatusData; readonly transient: true }
  | { readonly type: 'finish'; readonly finishReason: 'stop' | 'error'; readonly messageMetadata: Omit<DialogueMessageMetadata, 'requestId'> }
  | { readonly type: 'error'; readonly errorText: string }
  | { readonly type: 'abort'; readonly reason: string };
