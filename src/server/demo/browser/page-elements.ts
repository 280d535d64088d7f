/// <reference lib="dom" />
/** The demo page's fixed elements (see `../page.ts` for the markup), found once by id. */
import { byId } from './dom';

/** Every element the script reads or writes. */
export interface PageElements {
  readonly form: HTMLFormElement;
  readonly prompt: HTMLTextAreaElement;
  readonly ask: HTMLButtonElement;
  readonly stop: HTMLButtonElement;
  readonly newChat: HTMLButtonElement;
  readonly conversation: HTMLElement;
  readonly apiKey: HTMLInputElement;
  readonly status: HTMLElement;
  readonly note: HTMLElement;
  readonly cacheBadge: HTMLElement;
  readonly degradedBadge: HTMLElement;
  readonly plan: HTMLElement;
  readonly lanes: HTMLElement;
  readonly answer: HTMLElement;
  readonly waterfall: SVGSVGElement;
}

/** Finds the elements; throws when the page lacks one. */
export const pageElements = (): PageElements => ({
  form: byId('ask-form', HTMLFormElement),
  prompt: byId('prompt', HTMLTextAreaElement),
  ask: byId('ask', HTMLButtonElement),
  stop: byId('stop', HTMLButtonElement),
  newChat: byId('new-chat', HTMLButtonElement),
  conversation: byId('conversation', HTMLElement),
  apiKey: byId('api-key', HTMLInputElement),
  status: byId('status', HTMLElement),
  note: byId('note', HTMLElement),
  cacheBadge: byId('cache-badge', HTMLElement),
  degradedBadge: byId('degraded-badge', HTMLElement),
  plan: byId('plan', HTMLElement),
  lanes: byId('lanes', HTMLElement),
  answer: byId('answer', HTMLElement),
  waterfall: byId('waterfall', SVGSVGElement),
});
