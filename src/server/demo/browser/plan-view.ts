/// <reference lib="dom" />
/** The plan panel: the router's intent, the experts asked (id, model, version), and the fusion strategy. */
import type { ExecutionPlan } from '../../../browser';
import { html } from './dom';

/** Shows `plan` in `target` (a `<dl>`), or empties it when `plan` is undefined. */
export const renderPlan = (target: HTMLElement, plan: ExecutionPlan | undefined): void => {
  target.replaceChildren();
  if (plan === undefined) return;
  const row = (term: string, value: string): void => {
    target.append(html('dt', {}, term), html('dd', { 'data-field': term }, value));
  };
  row('intent', plan.intent);
  row('experts', plan.tasks.map((task) => `${task.expertId} (${task.model} ${task.version})`).join(', '));
  row('fusion', `${plan.fusion.id} ${plan.fusion.version}`);
  if (plan.metadata?.injection !== undefined) row('flagged', plan.metadata.injection.join(', '));
};
