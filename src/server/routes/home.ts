/** `GET /`: a placeholder page until the demo page replaces this file (same export, same route). */
import type { Route } from '../route';

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>dialogue-pipeline</title></head>
<body>
<h1>dialogue-pipeline</h1>
<p>The server is running. The demo page will live here.</p>
<ul>
<li><code>POST /api/dialogue</code>: the pipeline's events as server-sent events</li>
<li><code>POST /v1/chat/completions</code>, <code>GET /v1/models</code>: OpenAI-compatible</li>
<li><code>GET /metrics</code>, <code>GET /healthz</code></li>
</ul>
</body>
</html>
`;

/** The home page route. */
export const homeRoute: Route = {
  method: 'GET',
  path: '/',
  handler: ({ res }) => {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(Buffer.byteLength(PAGE)),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(PAGE);
  },
};
