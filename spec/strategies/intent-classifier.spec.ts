import { DEFAULT_INTENT, checkIntentRules, classifyIntent, defaultIntentRules, scoreIntents, type IntentRule } from '../../src/strategies/intent-classifier';

describe('classifyIntent', () => {
  it.each([
    ['Why does this function throw a TypeError when the list is empty?', 'code'],
    ['```ts\nconst x: number = "a";\n```\nWhat is wrong here?', 'code'],
    ['Here is my stack trace, can you help?', 'code'],
    ['How do I reverse a linked list in Python?', 'code'],
    ['There is a bug in my C++ code: it segfaults on exit', 'code'],
    ['Refactor this: function add(a, b) { return a + b; }', 'code'],
    ['Traceback (most recent call last):\n  File "app.py", line 3, in <module>', 'code'],
    ['Write a JavaScript function that returns the nth Fibonacci number', 'code'],
    ['Explain the bug in this snippet', 'code'],
    ['What is 12 * 7?', 'math'],
    ['Solve 2x + 3 = 11', 'math'],
    ['Compute the integral of x^2 from 0 to 1', 'math'],
    ['Prove that the square root of 2 is irrational', 'math'],
    ['What is 15% of 80?', 'math'],
    ['Find the roots of the equation x^2 - 5x + 6 = 0', 'math'],
    ['How much is 12 + 30?', 'math'],
    ['Write a poem about the sea', 'creative'],
    ['Tell me a story about a brave little toaster', 'creative'],
    ['Imagine a city floating in the clouds and describe it', 'creative'],
    ['Write a song about summer love', 'creative'],
    ['Compose a haiku about autumn leaves', 'creative'],
    ['What is the capital of France?', 'factual'],
    ['Who wrote Pride and Prejudice?', 'factual'],
    ['When did World War II end?', 'factual'],
    ['Define photosynthesis', 'factual'],
    ['How many moons does Jupiter have?', 'factual'],
    ['Where is Mount Kilimanjaro located?', 'factual'],
    ['What is the difference between a virus and a bacterium?', 'factual'],
    ['Tell me about the Roman empire and its emperors', 'factual'],
    ['What happened in Berlin on 2024-05-01?', 'factual'],
    ['Hi!', 'chat'],
    ['Hello, how are you today?', 'chat'],
    ["What's up?", 'chat'],
    ['Thanks a lot', 'chat'],
    ['Good morning', 'chat'],
    ['Who are you?', 'chat'],
    ['I had a long day at work and just want to talk for a bit', 'chat'],
  ])('classifies %j as %s', (prompt, intent) => {
    expect(classifyIntent(prompt)).toBe(intent);
  });

  it("returns the default intent ('chat') when no rule matches, also for an empty prompt", () => {
    expect(DEFAULT_INTENT).toBe('chat');
    expect(classifyIntent('I had a long day at work and just want to talk for a bit')).toBe('chat');
    expect(classifyIntent('')).toBe('chat');
    expect(scoreIntents('I had a long day at work and just want to talk for a bit').size).toBe(0);
  });

  it('sums the weights of every matching rule per intent', () => {
    expect([...scoreIntents('What is the capital of France?')]).toEqual([['factual', 4]]);
    expect([...scoreIntents('Solve 2x + 3 = 11')]).toEqual([['math', 6]]);
  });

  it('breaks a tie in favour of the intent whose first matching rule comes earlier in the table', () => {
    expect(Object.fromEntries(scoreIntents('How much is 12 + 30?'))).toEqual({ math: 3, factual: 3 });
    expect(classifyIntent('How much is 12 + 30?')).toBe('math');
    const rules: IntentRule[] = [{ intent: 'b', match: ['x'] }, { intent: 'a', match: ['x'] }];
    expect(classifyIntent('x', rules)).toBe('b');
    expect(classifyIntent('x', [...rules].reverse())).toBe('a');
  });

  it('uses a custom table instead of the default one', () => {
    const rules: IntentRule[] = [
      { intent: 'billing', match: ['invoice', 'refund'], weight: 2 },
      { intent: 'support', match: /\bbroken\b|\bnot working\b/i },
    ];
    expect(classifyIntent('My invoices look wrong', rules)).toBe('billing');
    expect(classifyIntent('The app is not working', rules)).toBe('support');
    expect(classifyIntent('Write a poem', rules)).toBe('chat');
  });

  it('lets custom rules placed before the defaults extend them, also voting against with a negative weight', () => {
    const prompt = 'Write a function that generates a haiku';
    expect(classifyIntent(prompt)).toBe('creative');
    expect(classifyIntent(prompt, [{ intent: 'code', match: /\bwrite\s+a\s+(?:function|program|script)\b/i, weight: 3 }, ...defaultIntentRules])).toBe('code');
    expect(classifyIntent(prompt, [{ intent: 'creative', match: ['function'], weight: -3 }, ...defaultIntentRules])).toBe('code');
  });

  it('matches keywords as whole words, case-insensitively, with a plural and any whitespace inside phrases', () => {
    const rules: IntentRule[] = [{ intent: 'x', match: ['bug', 'stack trace'] }];
    expect(classifyIntent('Two BUGS here', rules)).toBe('x');
    expect(classifyIntent('a Stack\n  Trace', rules)).toBe('x');
    expect(classifyIntent('debugging', rules)).toBe('chat');
    expect(classifyIntent('ladybugs', rules)).toBe('chat');
  });

  it('escapes keywords, so regex characters in them are literal', () => {
    const rules: IntentRule[] = [{ intent: 'code', match: ['c++', 'node.js'] }];
    expect(classifyIntent('I like c++', rules)).toBe('code');
    expect(classifyIntent('I like cc', rules)).toBe('chat');
    expect(classifyIntent('nodexjs', rules)).toBe('chat');
  });

  it('gives the same answer on every call with a global regex (its lastIndex is not used)', () => {
    const rules: IntentRule[] = [{ intent: 'g', match: /abc/g }];
    expect([1, 2, 3].map(() => classifyIntent('abc abc', rules))).toEqual(['g', 'g', 'g']);
  });

  it('rejects a malformed rule or prompt with a TypeError naming the rule', () => {
    const bad = (rule: unknown) => () => checkIntentRules([rule as IntentRule]);
    expect(bad({ intent: '', match: ['x'] })).toThrow(/intent rule 0: intent must be a non-empty string/);
    expect(bad({ intent: 'x', match: [] })).toThrow(/match must be a RegExp or a non-empty array/);
    expect(bad({ intent: 'x', match: ['ok', ''] })).toThrow(TypeError);
    expect(bad({ intent: 'x', match: /a/, weight: Number.NaN, name: 'nan' })).toThrow(/intent rule 0 \(nan\): weight must be a finite number/);
    expect(() => classifyIntent(42 as unknown as string)).toThrow(TypeError);
    expect(() => checkIntentRules(defaultIntentRules)).not.toThrow();
  });

  it('stays fast on a very long prompt', () => {
    const prompt = `${'word '.repeat(20_000)}${'x'.repeat(50_000)}`;
    const started = process.hrtime.bigint();
    expect(classifyIntent(prompt)).toBe('chat');
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500);
  });
});
