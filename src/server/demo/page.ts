/**
 * The demo page served at `GET /`: static markup (no data in it), the stylesheet and the bundled
 * script inlined, and a Content-Security-Policy that allows exactly those two by their SHA-256
 * hashes. Everything the page shows comes in later through the script, as text nodes.
 *
 * The CSP: nothing by default; the one script and the one stylesheet by hash; fetches to this
 * origin only; no base URL, no form submission, no framing; and Trusted Types required with no
 * policy allowed, so even a slip such as `element.innerHTML = token` would throw in the browser.
 */
import { createHash } from 'node:crypto';
import type { DemoBundle } from './bundle';
import { PAGE_STYLE } from './page-style';

/** A page ready to send: its HTML and the value of its Content-Security-Policy header. */
export interface DemoPage { readonly html: string; readonly csp: string }

const hashSource = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

const BODY = `<main>
<header class="top"><h1>dialogue-pipeline</h1><span id="cache-badge" class="badge" hidden></span><span id="status" role="status">ready</span></header>
<section id="conversation" class="conversation" aria-label="Conversation" hidden></section>
<form id="ask-form" autocomplete="off">
<textarea id="prompt" name="prompt" placeholder="Ask the experts something (Ctrl+Enter asks)" required></textarea>
<div class="controls">
<button id="ask" type="submit" disabled>Ask</button>
<button id="stop" type="button" disabled>Stop</button>
<button id="new-chat" type="button">New chat</button>
<label>API key <input id="api-key" type="password" placeholder="only if the server has one" spellcheck="false" autocomplete="off"></label>
</div>
</form>
<p id="note"></p>
<h2>Plan</h2>
<dl id="plan"></dl>
<h2>Experts</h2>
<div id="lanes" class="lanes"></div>
<h2>Fused answer <span id="degraded-badge" class="badge warn" hidden>degraded</span></h2>
<p id="answer"></p>
<h2>Stage timings</h2>
<svg id="waterfall" xmlns="http://www.w3.org/2000/svg"></svg>
<footer>POST /api/dialogue (server-sent events) &middot; POST /api/cancel/:requestId &middot; POST /api/chat (AI SDK useChat) &middot; /v1/chat/completions &middot; /metrics</footer>
</main>`;

const pageHtml = (body: string, style: string, script: string | undefined): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dialogue-pipeline demo</title>
<style>${style}</style>
</head>
<body>
${body}
${script === undefined ? '' : `<script>${script}</script>`}
</body>
</html>
`;

const escapeText = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const policy = (style: string, script: string | undefined): string => [
  "default-src 'none'",
  `script-src ${script === undefined ? "'none'" : hashSource(script)}`,
  `style-src ${hashSource(style)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** The page for `bundle`: the demo, or a short notice saying why the demo is unavailable. */
export const demoPage = (bundle: DemoBundle): DemoPage => {
  if (bundle.kind === 'script') return { html: pageHtml(BODY, PAGE_STYLE, bundle.code), csp: policy(PAGE_STYLE, bundle.code) };
  const body = `<main><h1>dialogue-pipeline</h1><p>${escapeText(bundle.reason)}</p>
<p>The API works without it: POST /api/dialogue, POST /api/cancel/:requestId, POST /api/chat, POST /v1/chat/completions, GET /v1/models, GET /metrics, GET /healthz.</p></main>`;
  return { html: pageHtml(body, PAGE_STYLE, undefined), csp: policy(PAGE_STYLE, undefined) };
};
