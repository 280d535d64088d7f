/// <reference lib="dom" />
/**
 * The demo page's conversation: the answered turns (question and fused answer), shown in the
 * "Conversation" panel as text (never HTML) and sent, with the new question last, on every
 * follow-up. A turn that was stopped or failed is not kept. "New chat" clears it.
 */
import { html, show } from './dom';

/** One message as `/api/dialogue` takes it (`ChatMessage`). */
export interface DemoMessage { readonly role: 'user' | 'assistant'; readonly content: string }

/** The conversation so far, and its panel. */
export interface ConversationView {
  /** The messages to send for `question`: every answered turn, then the question. */
  ask(question: string): readonly DemoMessage[];
  /** Keeps an answered turn. */
  answered(question: string, answer: string): void;
  /** Forgets every turn. */
  clear(): void;
}

/** Creates the conversation over its panel (`container`, hidden while empty). */
export const createConversationView = (container: HTMLElement): ConversationView => {
  let messages: readonly DemoMessage[] = [];
  const render = (): void => {
    container.replaceChildren(...messages.map((message) => html('p', { class: `turn turn-${message.role}`, 'data-role': message.role }, message.content)));
    show(container, messages.length > 0);
  };
  render();
  return {
    ask: (question) => [...messages, { role: 'user', content: question }],
    answered: (question, answer) => {
      messages = [...messages, { role: 'user', content: question }, { role: 'assistant', content: answer }];
      render();
    },
    clear: () => {
      messages = [];
      render();
    },
  };
};
