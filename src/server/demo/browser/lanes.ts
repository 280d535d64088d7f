/// <reference lib="dom" />
/**
 * The expert lanes: one column per expert of the plan (`token.source`), filling live. Each lane
 * shows the expert's model, its state (waiting, streaming, ok / failed / cancelled with figures),
 * the latest retry notice, and its text, held in ONE text node that tokens are appended to.
 */
import type { ExpertEvent, RetryEvent } from '../../../browser';
import type { ExpertMetrics } from '../../../browser';
import type { PlanTask } from '../../../browser';
import { html, show } from './dom';

interface Lane {
  readonly root: HTMLElement;
  readonly state: HTMLElement;
  readonly retry: HTMLElement;
  readonly text: Text;
  ended: boolean;
}

/** The lanes of the current request. */
export interface LanesView {
  /** Drops every lane and creates one per task, in plan order. */
  reset(tasks: readonly PlanTask[]): void;
  /** Appends a token to `source`'s lane (creating the lane when the plan did not name it). */
  append(source: string, text: string): void;
  /** Shows "retry n/m in X ms (reason)"; empties the lane when `discard`. */
  retry(event: RetryEvent): void;
  /** Shows how the expert ended. */
  ended(event: ExpertEvent): void;
  /** Marks lanes that got no `expert` event with their outcome from the `metrics` event. */
  settle(experts: Readonly<Record<string, ExpertMetrics>>): void;
  /** Marks every lane as not asked (the answer came from the cache). */
  skipped(reason: string): void;
}

const laneFor = (id: string, model: string): Lane => {
  const root = html('article', { class: 'lane', 'data-expert': id });
  const head = html('header', { class: 'lane-head' });
  const state = html('span', { class: 'lane-state' }, 'waiting');
  head.append(html('strong', { class: 'lane-id' }, id), html('span', { class: 'lane-model' }, model), state);
  const retry = html('p', { class: 'lane-retry' });
  show(retry, false);
  const body = html('p', { class: 'lane-text' });
  const text = document.createTextNode('');
  body.append(text);
  root.append(head, retry, body);
  return { root, state, retry, text, ended: false };
};

const setState = (lane: Lane, state: string, label: string): void => {
  lane.state.textContent = label;
  lane.root.dataset.state = state;
};

/** Creates the lanes view inside `container`. */
export const createLanesView = (container: HTMLElement): LanesView => {
  const lanes = new Map<string, Lane>();
  const add = (id: string, model: string): Lane => {
    const lane = laneFor(id, model);
    lanes.set(id, lane);
    container.append(lane.root);
    return lane;
  };
  const get = (id: string): Lane => lanes.get(id) ?? add(id, '');
  return {
    reset: (tasks) => {
      lanes.clear();
      container.replaceChildren();
      for (const task of tasks) add(task.expertId, `${task.model} ${task.version}`);
    },
    append: (source, text) => {
      const lane = get(source);
      if (lane.text.length === 0) setState(lane, 'streaming', 'streaming');
      lane.text.appendData(text);
    },
    retry: (event) => {
      const lane = get(event.source);
      lane.retry.textContent = `retry ${event.attempt}/${event.maxRetries} in ${Math.round(event.delayMs)}ms (${event.reason})`;
      show(lane.retry, true);
      if (event.discard) lane.text.data = '';
      setState(lane, 'retrying', 'retrying');
    },
    ended: (event) => {
      const lane = get(event.expertId);
      lane.ended = true;
      const figures = `${Math.round(event.ms)} ms, ${event.tokens} tokens`;
      setState(lane, event.outcome, event.outcome === 'failed' ? `failed: ${event.error ?? 'error'} (${figures})` : `${event.outcome} (${figures})`);
    },
    settle: (experts) => {
      for (const [id, lane] of lanes) {
        const outcome = experts[id]?.outcome;
        if (!lane.ended && outcome !== undefined) setState(lane, outcome, outcome);
      }
    },
    skipped: (reason) => {
      for (const lane of lanes.values()) setState(lane, 'skipped', reason);
    },
  };
};
