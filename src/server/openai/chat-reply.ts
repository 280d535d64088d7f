/** What answering one chat completions request needs besides the events. */
import type { ChatMeta } from './chat-chunks';

/** The wire metadata, the conversation's text (only for the usage estimate, when `complete.usage` is absent) and whether a streamed reply ends with a usage chunk. */
export interface ChatReply {
  readonly meta: ChatMeta;
  readonly prompt: string;
  readonly includeUsage: boolean;
}
