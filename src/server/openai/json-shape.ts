/** Small shape checks shared by the OpenAI request decoders. */

/** True for a plain JSON object (not null, not an array). */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True when a request field is absent: `undefined` or JSON `null` (OpenAI clients send both). */
export const isAbsent = (value: unknown): value is undefined | null => value === undefined || value === null;
