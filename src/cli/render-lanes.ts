/**
 * The live view on a terminal: one line per lane (id, status, note, the tail of the text),
 * never wider than the terminal, and the escape codes that redraw those lines in place.
 * Pure functions from state to strings.
 */
import { CLEAR_BELOW, CLEAR_LINE, cursorUp, stripControls, type Paint, type Style } from './ansi';
import type { Lane, LaneStatus, Lanes } from './lane-state';

/** How lanes are drawn: the terminal width and the styles. */
export interface LaneLayout {
  readonly columns: number;
  readonly paint: Paint;
}

const STATUS_WIDTH = 'cancelled'.length;

const statusStyle = (paint: Paint, status: LaneStatus): Style => {
  switch (status) {
    case 'waiting': return paint.dim;
    case 'streaming': return paint.cyan;
    case 'retrying': return paint.yellow;
    case 'done': return paint.green;
    case 'failed': return paint.red;
    case 'cancelled': return paint.yellow;
  }
};

/** Code points, so truncation never splits a surrogate pair. */
const chars = (text: string): string[] => Array.from(text);

/** One line of readable text: no control characters, runs of whitespace as one space. */
export const oneLine = (text: string): string => stripControls(text).replace(/\s+/g, ' ');

/** The end of `text` in at most `width` characters, starting with '…' when cut. */
export const tail = (text: string, width: number): string => {
  const all = chars(text);
  if (all.length <= width) return text;
  return width <= 0 ? '' : `…${all.slice(all.length - width + 1).join('')}`;
};

/** The start of `text` in at most `width` characters, ending with '…' when cut. */
export const head = (text: string, width: number): string => {
  const all = chars(text);
  if (all.length <= width) return text;
  return width <= 0 ? '' : `${all.slice(0, width - 1).join('')}…`;
};

/**
 * One lane as a line: `id  status  [note] …tail of the text`, the id padded to `idWidth`.
 * The visible width stays below `columns` (the last column is left free so the terminal
 * never wraps); the note is cut before the text is, and the text keeps its end.
 */
export const renderLane = (lane: Lane, idWidth: number, { columns, paint }: LaneLayout): string => {
  const width = Math.max(1, columns - 1);
  const id = head(oneLine(lane.id), idWidth).padEnd(idWidth);
  const status = lane.status.padEnd(STATUS_WIDTH);
  const prefix = `${id}  ${status}  `;
  if (chars(prefix).length >= width) return head(`${id}  ${lane.status}`, width);
  let room = width - chars(prefix).length;
  const note = lane.note === '' ? '' : head(`(${oneLine(lane.note)})`, room);
  room -= chars(note).length;
  const text = oneLine(lane.text).trim();
  const body = note !== '' && text !== '' && room > 1 ? ` ${tail(text, room - 1)}` : note === '' ? tail(text, room) : '';
  return `${paint.bold(id)}  ${statusStyle(paint, lane.status)(status)}  ${paint.dim(note)}${body}`.trimEnd();
};

/** Every lane as a line, ids aligned (at most 16 wide); `(planning…)` before the plan is known. */
export const renderLanes = (lanes: Lanes, layout: LaneLayout): string[] => {
  if (lanes.length === 0) return [layout.paint.dim(head('(planning…)', Math.max(1, layout.columns - 1)))];
  const idWidth = Math.min(Math.max(...lanes.map((l) => chars(oneLine(l.id)).length)), 16);
  return lanes.map((lane) => renderLane(lane, idWidth, layout));
};

/**
 * The bytes that replace the `previous` lines drawn last time (the cursor sits just below them)
 * with `lines`: up to the first of them, each line erased and rewritten, anything left below
 * erased. The cursor ends just below the new lines, ready for the next frame.
 */
export const redraw = (lines: readonly string[], previous: number): string =>
  `${cursorUp(previous)}${lines.map((line) => `${CLEAR_LINE}${line}\n`).join('')}${CLEAR_BELOW}`;
