/// <reference lib="dom" />
/**
 * Safe DOM building for the demo page: text goes in through `textContent` and text nodes only,
 * never `innerHTML`, so a token such as `<img src=x onerror=...>` shows as the characters it is.
 */

/** Attributes set with `setAttribute` (values are plain strings, never markup). */
export type Attributes = Readonly<Record<string, string | number>>;

const SVG_NS = 'http://www.w3.org/2000/svg';

const fill = <E extends Element>(element: E, attributes: Attributes, text?: string): E => {
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
};

/** An HTML element with `attributes` and, when given, `text` as its only content. */
export const html = <K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, text?: string): HTMLElementTagNameMap[K] =>
  fill(document.createElement(tag), attributes, text);

/** An SVG element (in the SVG namespace) with `attributes` and optional `text`. */
export const svg = <K extends keyof SVGElementTagNameMap>(tag: K, attributes: Attributes = {}, text?: string): SVGElementTagNameMap[K] =>
  fill(document.createElementNS(SVG_NS, tag), attributes, text);

/** The element with `id`, checked to be of `type`; throws when the page lacks it. */
export const byId = <T extends Element>(id: string, type: abstract new () => T): T => {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`demo page: #${id} is missing or not a ${type.name}`);
  return element;
};

/** Shows or hides `element` (the `hidden` attribute). */
export const show = (element: HTMLElement, visible: boolean): void => {
  element.hidden = !visible;
};
