/** The CLI's exit codes. */

/** 0 answered, 1 system error, 2 invalid request or usage, 130 cancelled (128 + SIGINT). */
export const EXIT = { ok: 0, system: 1, usage: 2, cancelled: 130 } as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
