/**
 * The slice of `@ai-sdk/react`'s `useChat` the README's example uses, over the real `ai` package's
 * types (a devDependency), so the example type-checks without React.
 */
import type { ChatStatus, ChatTransport, UIMessage } from 'ai';

export interface UseChatHelpers {
  readonly messages: UIMessage[];
  readonly status: ChatStatus;
  sendMessage(message: { text: string }): Promise<void>;
  stop(): Promise<void>;
}
export function useChat(options?: { transport?: ChatTransport<UIMessage>; id?: string }): UseChatHelpers;
