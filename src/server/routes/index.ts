/** Every route of the dialogue server, in matching order. `GET /` is `home.ts` alone, so the demo page replaces one file. */
import type { Route } from '../route';
import { cancelRoute } from './cancel';
import { chatRoute } from './chat';
import { chatCompletionsRoute } from './chat-completions';
import { dialogueRoute } from './dialogue';
import { healthzRoute } from './healthz';
import { homeRoute } from './home';
import { metricsRoute } from './metrics';
import { modelsRoute } from './models';
import { readyzRoute } from './readyz';

/** The routes `createDialogueServer` serves. */
export const dialogueRoutes: readonly Route[] = [
  homeRoute,
  dialogueRoute,
  cancelRoute,
  chatRoute,
  chatCompletionsRoute,
  modelsRoute,
  metricsRoute,
  healthzRoute,
  readyzRoute,
];
