/**
 * The three ways the CLI shows a request while it runs: live lanes on a terminal, one line per
 * finished expert when piped, or every event as NDJSON. Each view writes only to `out`.
 */
import type { PipelineEvent } from '../index';
import { HIDE_CURSOR, SHOW_CURSOR, type Paint } from './ansi';
import { reduceLanes, type Lanes } from './lane-state';
import { oneLine, redraw, renderLanes } from './render-lanes';

/** Anything with a `write(text)`: `process.stdout`, or a string collector in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/** A view of one request. */
export interface View {
  /** Called for every event, in order. */
  readonly event: (event: PipelineEvent) => void;
  /** Called at most once per frame interval while events arrive (lanes only). */
  readonly frame: () => void;
  /** Called once when the request is over, whatever happened: last frame, cursor restored. */
  readonly end: () => void;
  /** Whether `frame` does anything (so the caller needs no frame timer otherwise). */
  readonly animated: boolean;
}

/** Every event as one JSON line. */
export const jsonView = (out: TextSink): View => ({
  event: (event) => {
    out.write(`${JSON.stringify(event)}\n`);
  },
  frame: () => undefined,
  end: () => undefined,
  animated: false,
});

/** For pipes and logs: `[id] full text` when an expert ends, and the status messages (retries, fusion fallback). */
export const plainView = (out: TextSink, paint: Paint): View => {
  let lanes: Lanes = [];
  return {
    event: (event) => {
      lanes = reduceLanes(lanes, event);
      if (event.type === 'status') out.write(`${paint.dim(`* ${oneLine(event.message)}`)}\n`);
      if (event.type !== 'expert') return;
      const text = oneLine(lanes.find((l) => l.id === event.expertId)?.text ?? '').trim();
      const tag = `[${oneLine(event.expertId)}]`;
      if (event.outcome === 'ok') out.write(`${paint.bold(tag)} ${text}\n`);
      else out.write(`${paint.bold(tag)} ${paint.red(event.outcome)}${event.error === undefined ? '' : `: ${oneLine(event.error)}`}\n`);
    },
    frame: () => undefined,
    end: () => undefined,
    animated: false,
  };
};

/**
 * For terminals: one lane per expert, redrawn in place by `frame` (when something changed)
 * with the cursor hidden; `end` draws the final state and shows the cursor again.
 */
export const lanesView = (out: TextSink, columns: () => number, paint: Paint): View => {
  let lanes: Lanes = [];
  let dirty = false;
  let drawn = 0;
  let hidden = false;
  const frame = (): void => {
    if (!dirty) return;
    dirty = false;
    const lines = renderLanes(lanes, { columns: columns(), paint });
    out.write(`${hidden ? '' : HIDE_CURSOR}${redraw(lines, drawn)}`);
    hidden = true;
    drawn = lines.length;
  };
  return {
    event: (event) => {
      lanes = reduceLanes(lanes, event);
      dirty = true;
    },
    frame,
    end: () => {
      frame();
      if (hidden) out.write(SHOW_CURSOR);
      hidden = false;
    },
    animated: true,
  };
};
