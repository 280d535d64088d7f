/// <reference lib="dom" />
/**
 * The demo page's script (bundled by `../bundle.ts`, inlined by `../page.ts`). Three streams:
 *
 * - asks: each submit of the form starts a request (`switchMap`: a new question drops the one
 *   still running, which closes its connection and so cancels it on the server), whose events
 *   the `DialogueView` puts on the page; the request carries the whole conversation (answered
 *   turns, then the question), and a `complete` answer joins it (`ConversationView`);
 * - New chat: clears the conversation (a request still running is left alone, but its answer
 *   is not kept);
 * - stops: each click on Stop POSTs /api/cancel/:requestId for the running request (`exhaustMap`:
 *   one cancel call at a time); the stream then ends with `cancelled`.
 */
import { catchError, defer, EMPTY, exhaustMap, filter, finalize, fromEvent, map, switchMap, tap } from 'rxjs';
import { createConversationView } from './conversation';
import { createDialogueView } from './dialogue-view';
import { pageElements } from './page-elements';
import { cancel$, dialogue$, newRequestId, type Ask } from './requests';

const page = pageElements();
const view = createDialogueView(page);
const conversation = createConversationView(page.conversation);
let running: Ask | undefined;
/** Bumped by New chat: an answer to a question asked before it is not kept. */
let chatNumber = 0;

const readAsk = (): Ask => {
  const prompt = page.prompt.value.trim();
  return { prompt, messages: conversation.ask(prompt), requestId: newRequestId(), apiKey: page.apiKey.value.trim() };
};

const run = (ask: Ask) => defer(() => {
  running = ask;
  const chat = chatNumber;
  view.begin(ask.requestId);
  return dialogue$(ask).pipe(
    tap((event) => {
      view.apply(event);
      if (event.type === 'complete' && chat === chatNumber) {
        conversation.answered(ask.prompt, event.text);
      }
    }),
    catchError((error: unknown) => {
      view.fail(error);
      return EMPTY;
    }),
    finalize(() => {
      if (running === ask) running = undefined;
      view.end();
    }),
  );
});

fromEvent<SubmitEvent>(page.form, 'submit').pipe(
  tap((event) => event.preventDefault()),
  map(readAsk),
  filter((ask) => ask.prompt.trim() !== ''),
  switchMap(run),
).subscribe();

fromEvent(page.newChat, 'click').subscribe(() => {
  chatNumber += 1;
  conversation.clear();
  page.prompt.focus();
});

fromEvent(page.stop, 'click').pipe(
  map(() => running),
  filter((ask): ask is Ask => ask !== undefined),
  tap(() => view.stopping()),
  exhaustMap((ask) => cancel$(ask.requestId, ask.apiKey).pipe(
    catchError((error: unknown) => {
      view.fail(error);
      return EMPTY;
    }),
  )),
).subscribe();

// Ctrl/Cmd+Enter in the prompt box asks, like the button.
fromEvent<KeyboardEvent>(page.prompt, 'keydown').pipe(
  filter((event) => event.key === 'Enter' && (event.ctrlKey || event.metaKey)),
).subscribe(() => page.form.requestSubmit());

page.ask.disabled = false;
