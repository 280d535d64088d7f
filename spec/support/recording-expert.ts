/** An expert that keeps every task it is given, for specs that check what reached the experts. */
import type { Observable } from 'rxjs';
import type { Expert, ExpertTask } from '../../src/ports';

/** An expert with the tasks it was asked so far. */
export type RecordingExpert = Expert & { readonly tasks: ExpertTask[] };

/** `expert` (or an expert `id` answering with `answer(task)`), keeping every task in `tasks`. */
export const recordingExpert = (expert: Expert | { readonly id: string; readonly answer: (task: ExpertTask) => Observable<string> }): RecordingExpert => {
  const tasks: ExpertTask[] = [];
  const inner: Expert = 'stream' in expert ? expert : { id: expert.id, model: expert.id, version: '1', stream: expert.answer };
  return { ...inner, tasks, stream: (task) => { tasks.push(task); return inner.stream(task); } };
};
