/** `GET /v1/models`: the server's model names as an OpenAI model list. */
import { sendJson } from '../respond';
import type { Route } from '../route';

/** The models route. */
export const modelsRoute: Route = {
  method: 'GET',
  path: '/v1/models',
  handler: ({ res, server }) => {
    const created = Math.floor(server.startedAt / 1000);
    sendJson(res, 200, {
      object: 'list',
      data: server.models.map((id) => ({ id, object: 'model', created, owned_by: 'dialogue-pipeline' })),
    });
  },
};
