/**
 * The work both implementations do: the experts' answers (pre-split into tokens the way
 * `simulatedExpert` splits them), the prompts, the consumer, and a seeded random source.
 */
import type { PipelineEvent } from '../src/events';

const VOCABULARY = [
  'streams', 'carry', 'tokens', 'from', 'several', 'experts', 'into', 'one', 'answer', 'that', 'the', 'user',
  'reads', 'while', 'it', 'is', 'still', 'being', 'written', 'each', 'stage', 'reacts', 'to', 'events',
  'owns', 'and', 'passes', 'others', 'through', 'untouched', 'so', 'a', 'cache', 'hit', 'skips', 'fusion',
  'guard', 'keeps', 'secrets', 'out', 'of', 'output', 'cancellation', 'tears', 'down', 'every', 'timer',
];

/**
 * A deterministic answer of `words` words for expert number `expert`: the experts share most
 * words (so agreement scoring has something to compare) and differ in every seventh one.
 */
export const answerText = (expert: number, words: number): string => {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const index = i % 7 === expert % 7 ? (i * 13 + expert * 5) % VOCABULARY.length : (i * 11) % VOCABULARY.length;
    const word = VOCABULARY[index]!;
    out.push(i % 12 === 11 ? `${word}.` : word);
  }
  return out.join(' ');
};

/** The same split as `simulatedExpert`: words with their leading whitespace. */
export const tokenize = (text: string): readonly string[] => text.match(/\s*\S+/g) ?? [];

/** A distinct prompt per request, so the (default, in-memory) cache never short-circuits a request. */
export const promptOf = (i: number): string => `Question ${i}: how does a streaming pipeline fuse several expert answers?`;

/** The request id both implementations use for request `i`. */
export const requestIdOf = (i: number): string => `req-${i}`;

/** What the consumer saw; checked after a run so both implementations are shown to do the same work. */
export interface Seen { events: number; tokens: number; tokenChars: number; terminal: string; text: string }

/** A consumer that looks at every event as it arrives (counts tokens and their characters). */
export const createConsumer = (): { readonly seen: Seen; readonly onEvent: (event: PipelineEvent) => void } => {
  const seen: Seen = { events: 0, tokens: 0, tokenChars: 0, terminal: '', text: '' };
  const onEvent = (event: PipelineEvent): void => {
    seen.events++;
    if (event.type === 'token') {
      seen.tokens++;
      seen.tokenChars += event.text.length;
    } else if (event.type === 'complete') {
      seen.terminal = 'complete';
      seen.text = event.text;
    } else if (event.type === 'error') {
      seen.terminal = `error (${event.error.kind}: ${event.error.message})`;
    } else if (event.type === 'cancelled') {
      seen.terminal = 'cancelled';
    }
  };
  return { seen, onEvent };
};

/** mulberry32 (the library's own): the same seed gives both implementations the same cancel moments. */
export { seededRandom } from '../src/strategies/backoff';
