/** Terminal helpers: colors (off unless wanted), cursor control, and making untrusted text safe to print. */

/** Wraps text in a style; the identity when colors are off. */
export type Style = (text: string) => string;

/** The styles the CLI uses. */
export interface Paint {
  readonly bold: Style;
  readonly dim: Style;
  readonly red: Style;
  readonly green: Style;
  readonly yellow: Style;
  readonly cyan: Style;
}

const sgr = (open: number, close: number): Style => (text) => (text === '' ? '' : `\u001b[${open}m${text}\u001b[${close}m`);
const plain: Style = (text) => text;

/** ANSI styles when `enabled`, otherwise identity functions (so tests can compare plain text). */
export const createPaint = (enabled: boolean): Paint => enabled
  ? { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) }
  : { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };

/** Whether to color: only on a terminal, never with `--no-color` or a non-empty NO_COLOR (https://no-color.org). */
export const wantsColor = (flag: boolean, env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean =>
  flag && isTTY && (env.NO_COLOR ?? '') === '';

/** Hides the cursor while lanes are redrawn. */
export const HIDE_CURSOR = '\u001b[?25l';

/** Shows the cursor again; written at the end of every TTY run, also after Ctrl-C. */
export const SHOW_CURSOR = '\u001b[?25h';

/** Moves the cursor to the start of the line `lines` rows up (nothing for 0). */
export const cursorUp = (lines: number): string => (lines > 0 ? `\u001b[${lines}F` : '');

/** Erases the whole current line. */
export const CLEAR_LINE = '\u001b[2K';

/** Erases from the cursor to the end of the screen. */
export const CLEAR_BELOW = '\u001b[J';

// ESC sequences (CSI, OSC, and two-byte ones), then any other C0/C1 control character except tab and newline.
const ESCAPES = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-_])?/g;
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Removes escape sequences and control characters (tab and newline kept) from text that came
 * from an expert, so a model cannot move the cursor, recolor or retitle the user's terminal.
 */
export const stripControls = (text: string): string => text.replace(ESCAPES, '').replace(CONTROLS, '');
