/** The slice of `@sentry/node`'s API the README's examples use, so they type-check without the package. */
export interface Scope { setTag(key: string, value: string): void; setContext(name: string, context: Record<string, unknown> | null): void }
export function init(options: { dsn?: string; environment?: string; tracesSampleRate?: number }): void;
export function captureException(error: unknown, hint?: { extra?: Record<string, unknown>; tags?: Record<string, string> }): string;
export function withScope<T>(callback: (scope: Scope) => T): T;
