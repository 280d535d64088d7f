/**
 * Prompt-injection heuristics: cheap, documented patterns for the classic attempts to override
 * a model's instructions. They flag, they do not prove: a match goes into the plan's metadata,
 * or refuses the request when the plugin is configured to block (`inputGuard.injection`).
 */

/** One heuristic: an id (reported) and a pattern (case-insensitive). */
export interface InjectionHeuristic { readonly id: string; readonly pattern: RegExp }

/** The built-in heuristics. */
export const builtInInjectionHeuristics: readonly InjectionHeuristic[] = [
  { id: 'ignore-instructions', pattern: /\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}\b(?:previous|prior|above|earlier|all|your|system)\b[^.\n]{0,20}\b(?:instructions?|prompts?|rules|directions|guidelines)\b/i },
  { id: 'reveal-system-prompt', pattern: /\b(?:reveal|show|print|repeat|output|tell me)\b[^.\n]{0,30}\b(?:system|hidden|initial|original)\s+(?:prompt|instructions?|message)\b/i },
  { id: 'role-override', pattern: /\b(?:you are now|from now on,? you are|act as|pretend to be)\b[^.\n]{0,40}\b(?:unrestricted|unfiltered|without (?:any )?(?:rules|restrictions|limits)|jailbroken|DAN)\b/i },
  { id: 'jailbreak-mode', pattern: /\b(?:developer|god|jailbreak|DAN)\s+mode\b|\bdo anything now\b/i },
  { id: 'fake-system-turn', pattern: /(?:^|\n)\s*(?:system|assistant)\s*:|<\|?(?:im_start|system)\|?>|\[\/?INST\]/i },
];

/** The ids of the heuristics the prompt matches, in table order (empty when none). */
export const detectInjection = (prompt: string, heuristics: readonly InjectionHeuristic[] = builtInInjectionHeuristics): string[] =>
  heuristics.filter((heuristic) => heuristic.pattern.test(prompt)).map((heuristic) => heuristic.id);

/**
 * The ids of the heuristics any of the conversation's `user` messages matches (a planted
 * instruction in an earlier turn still steers the experts), in table order. System messages are
 * the application's own and assistant messages its earlier answers: neither is scanned.
 */
export const detectConversationInjection = (
  messages: readonly { readonly role: string; readonly content: string }[],
  heuristics: readonly InjectionHeuristic[] = builtInInjectionHeuristics,
): string[] => heuristics.filter((heuristic) => messages.some((message) => message.role === 'user' && heuristic.pattern.test(message.content)))
  .map((heuristic) => heuristic.id);
