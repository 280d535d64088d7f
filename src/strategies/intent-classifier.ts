/**
 * Rule-based intent classification: a weighted, ordered table of keyword and regex rules.
 * Every rule that matches adds its weight to its intent's score; the highest score wins; a tie
 * goes to the intent whose first matching rule comes earlier in the table; no positive score
 * gives {@link DEFAULT_INTENT} ('chat': an unrecognised prompt is most often conversation, and
 * 'factual' needs evidence such as a question word). Regexes are built once per rule object.
 *
 * The default table, in order (weights in brackets):
 * - code: code fences, stack traces [4]; error class names like `TypeError` [3];
 *   language names, programming words ("function", "bug", "debug", ...), code-like syntax [2]
 * - math: digits with operators [3]; "solve", "integral", "equation", "prove", ... [3];
 *   "calculate", "probability", "square root", ... [2]
 * - creative: "poem", "story", "song", "lyrics", ... [3]; "imagine", "write a song|poem|...", ... [2]
 * - factual: "capital of", "define", "how many", "who invented", ... [3];
 *   who/what/when/where/which/why, "tell me about", "explain" [1]
 * - chat: a greeting opening the prompt, small talk ("how are you", "what's up") [3]; at most four words [1]
 *
 * Override it by passing your own table, or extend it: `[...myRules, ...defaultIntentRules]`.
 */

/** One rule: when `match` matches the prompt, `weight` is added to `intent`'s score. */
export interface IntentRule {
  /** The intent this rule votes for. */
  readonly intent: string;
  /**
   * A regular expression (used as given, minus any g/y flag), or keywords and phrases matched
   * case-insensitively as whole words, also with a plural -s/-es; spaces match any whitespace.
   */
  readonly match: RegExp | readonly string[];
  /** Added to the intent's score on a match. Default 1; may be negative to vote against. */
  readonly weight?: number;
  /** For docs and debugging. */
  readonly name?: string;
}

/** The intents of the default table. */
export type DefaultIntent = 'code' | 'math' | 'creative' | 'factual' | 'chat';

/** What {@link classifyIntent} returns when no intent scores above zero. */
export const DEFAULT_INTENT: DefaultIntent = 'chat';

const rule = (intent: DefaultIntent, name: string, weight: number, match: RegExp | readonly string[]): IntentRule =>
  Object.freeze({ intent, name, weight, match });

/** The default rule table (see the module comment); frozen. */
export const defaultIntentRules: readonly IntentRule[] = Object.freeze([
  rule('code', 'code fence or stack trace', 4, /```|\bstack\s?trace\b|\btraceback\b|\bsegfault\b|^\s*at \S+ \(.*:\d+:\d+\)\s*$|^\s*File ".*", line \d+/im),
  rule('code', 'error class name', 3, /[a-z](?:Error|Exception)\b/),
  rule('code', 'language name', 2, ['javascript', 'typescript', 'python', 'java', 'kotlin', 'rust', 'golang', 'ruby', 'php',
    'c++', 'c#', 'csharp', 'scala', 'haskell', 'elixir', 'sql', 'bash', 'powershell', 'html', 'css', 'json', 'yaml', 'node.js',
    'nodejs', 'rxjs', 'django', 'docker', 'kubernetes', 'git', 'npm']),
  rule('code', 'programming word', 2, ['function', 'bug', 'debug', 'compile', 'compiler', 'refactor', 'variable', 'syntax error',
    'code', 'snippet', 'algorithm', 'api', 'endpoint', 'unit test', 'null pointer', 'exception', 'regex', 'pull request',
    'runtime error', 'type error', 'segmentation fault']),
  rule('code', 'code-like syntax', 2, /=>|\w\([^()\n]*\)\s*[{;]|\b(?:const|let|var)\s+\w+\s*=|\bdef\s+\w+\s*\(|^\s*(?:import|#include)\s/m),
  rule('math', 'digits with operators', 3, /\d\s*[+*/^×÷=<>≤≥]\s*[-\d(.a-z]|\d\s+-\s*[\d(]|\d\s*%\s*of\s+\d|[a-z]\s*\^\s*\d|√/i),
  rule('math', 'math task', 3, ['solve', 'integral', 'integrate', 'equation', 'prove', 'proof', 'theorem', 'lemma', 'derivative',
    'differentiate']),
  rule('math', 'math topic', 2, ['calculate', 'compute', 'simplify', 'factorize', 'factorise', 'polynomial', 'matrix', 'matrices',
    'probability', 'square root', 'logarithm', 'sum of', 'algebra', 'geometry', 'calculus', 'fraction', 'prime number', 'eigenvalue']),
  rule('creative', 'creative form', 3, ['poem', 'poetry', 'haiku', 'sonnet', 'limerick', 'story', 'stories', 'fairy tale', 'fable',
    'lyrics', 'song', 'ballad', 'screenplay', 'fiction', 'once upon a time']),
  rule('creative', 'creative request', 2, /\bimagine\b|\bwrite\s+(?:me\s+)?(?:a|an|some)\s+(?:\w+\s+)?(?:song|poem|story|tale|letter|speech|toast|rap|limerick)|\b(?:rhyme|rhyming|metaphor|brainstorm|slogan|tagline|fictional|pretend|role-?play)\b/i),
  rule('factual', 'fact lookup', 3, ['capital of', 'define', 'definition of', 'meaning of', 'how many', 'how much', 'how far',
    'how old', 'how tall', 'population of', 'who invented', 'who wrote', 'who discovered', 'what year', 'facts about',
    'history of', 'difference between']),
  rule('factual', 'question word', 1, ['who', 'what', 'when', 'where', 'which', 'why', 'tell me about', 'explain']),
  rule('chat', 'greeting', 3, /^[\s\p{P}]*(?:hi|hello|hey|hiya|howdy|yo|greetings|good\s+(?:morning|afternoon|evening|night)|thanks|thank\s+you|thx|bye|goodbye|cheers)\b/iu),
  rule('chat', 'small talk', 3, /\b(?:how\s+are\s+(?:you|u)|how['’]?s\s+it\s+going|how\s+is\s+it\s+going|what['’]?s\s+(?:up|new)|how\s+have\s+you\s+been|nice\s+to\s+meet\s+you|how\s+was\s+your\s+day|who\s+are\s+you|what['’]?s\s+your\s+name|what\s+is\s+your\s+name|tell\s+me\s+about\s+yourself|i['’]?m\s+bored)\b/i),
  rule('chat', 'short prompt', 1, /^\s*\S+(?:\s+\S+){0,3}\s*$/),
]);

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const keywordRegex = (keywords: readonly string[]): RegExp => new RegExp(
  `(?<![\\p{L}\\p{N}_])(?:${keywords.map((k) => escape(k.trim()).replace(/\s+/g, '\\s+')).join('|')})(?:e?s)?(?![\\p{L}\\p{N}_])`, 'iu');

const compiled = new WeakMap<IntentRule, { readonly regex: RegExp; readonly weight: number }>();

/** The rule's regex and weight, built once per rule object; a TypeError on a malformed rule. */
const compile = (r: IntentRule, index: number): { readonly regex: RegExp; readonly weight: number } => {
  const known = compiled.get(r);
  if (known !== undefined) return known;
  const fail: (problem: string) => never = (problem) => { throw new TypeError(`intent rule ${index}${r?.name ? ` (${r.name})` : ''}: ${problem}`); };
  if (typeof r !== 'object' || r === null) fail('must be an object');
  if (typeof r.intent !== 'string' || r.intent.trim() === '') fail('intent must be a non-empty string');
  const weight = r.weight ?? 1;
  if (typeof weight !== 'number' || !Number.isFinite(weight)) fail('weight must be a finite number');
  let regex: RegExp;
  if (r.match instanceof RegExp) {
    regex = /[gy]/.test(r.match.flags) ? new RegExp(r.match.source, r.match.flags.replace(/[gy]/g, '')) : r.match;
  } else if (Array.isArray(r.match) && r.match.length > 0 && r.match.every((k) => typeof k === 'string' && k.trim() !== '')) {
    regex = keywordRegex(r.match);
  } else {
    return fail('match must be a RegExp or a non-empty array of non-empty strings');
  }
  const entry = { regex, weight };
  compiled.set(r, entry);
  return entry;
};

/** Validates and compiles a rule table now ({@link classifyIntent} does it lazily); throws a TypeError on a malformed rule. */
export const checkIntentRules = (rules: readonly IntentRule[]): void => {
  if (!Array.isArray(rules)) throw new TypeError('intent rules must be an array');
  rules.forEach(compile);
};

/** Each intent's score (the sum of its matching rules' weights), in order of each intent's first matching rule. */
export const scoreIntents = (prompt: string, rules: readonly IntentRule[] = defaultIntentRules): ReadonlyMap<string, number> => {
  if (typeof prompt !== 'string') throw new TypeError('classifyIntent: prompt must be a string');
  if (!Array.isArray(rules)) throw new TypeError('intent rules must be an array');
  const scores = new Map<string, number>();
  rules.forEach((r, index) => {
    const { regex, weight } = compile(r, index);
    if (regex.test(prompt)) scores.set(r.intent, (scores.get(r.intent) ?? 0) + weight);
  });
  return scores;
};

/** The prompt's intent: the highest-scoring intent, ties to the earlier one, {@link DEFAULT_INTENT} when none scores above zero. */
export const classifyIntent = (prompt: string, rules: readonly IntentRule[] = defaultIntentRules): string => {
  let best: string = DEFAULT_INTENT;
  let top = 0;
  for (const [intent, score] of scoreIntents(prompt, rules)) {
    if (score > top) {
      best = intent;
      top = score;
    }
  }
  return best;
};
