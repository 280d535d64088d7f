import { asyncScheduler, tap, type Observable } from 'rxjs';
import type { ErrorEvent, StartEvent } from '../../src/events';
import { validate, type ValidateDeps } from '../../src/operators/validate';
import type { Job } from '../../src/pipeline/job';
import { handoff, type StageEvent } from '../../src/pipeline/stage-events';
import type { DialogueRequest } from '../../src/ports';
import { aJob, everyKind, lettersExcept, limits } from '../support/operator-fixtures';
import { newScheduler } from '../support/virtual-time';

const deps = (overrides: Partial<ValidateDeps> = {}): ValidateDeps => ({ clock: asyncScheduler, limits, validator: undefined, ...overrides });

const start = (job: Job): StartEvent => ({ type: 'start', requestId: job.requestId, at: job.metrics.startedAt });

const validationError = (job: Job, issues: string[]): ErrorEvent => ({
  type: 'error', requestId: job.requestId,
  error: { kind: 'validation', message: `Invalid request: ${issues.join('; ')}`, user: true, issues },
});

describe('validate', () => {
  it('emits start then the validated hand-off, with job.request filled in, for a valid request', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const job = aJob('r1', { prompt: 'Hello there', options: { requestId: 'r1', scope: 'tenant-1' } }, 0);
      const source = cold('(q|)', { q: handoff('request', job) });
      expectObservable(source.pipe(validate(deps()))).toBe('(sv|)', { s: start(job), v: handoff('validated', job) });
      expectSubscriptions(source.subscriptions).toBe('(^!)');
      flush();
      expect(job.request).toEqual({ requestId: 'r1', prompt: 'Hello there', scope: 'tenant-1' });
    });
  });

  it('hands on the same job object it received', () => {
    newScheduler().run(({ cold, flush }) => {
      const job = aJob();
      const out: StageEvent[] = [];
      cold('--q|', { q: handoff('request', job) }).pipe(validate(deps())).subscribe((event) => out.push(event));
      flush();
      expect(out.map((event) => event.type)).toEqual(['start', 'validated']);
      expect('job' in out[1] && out[1].job).toBe(job);
    });
  });

  it('stamps start with the time the job started, at the frame of the request', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const job = aJob('r1', { prompt: 'Hi', options: undefined }, 1);
      const source = cold('---q---|', { q: handoff('request', job) });
      expectObservable(source.pipe(validate(deps()))).toBe('---(sv)|', {
        s: { type: 'start', requestId: 'r1', at: 1 }, v: handoff('validated', job),
      });
    });
  });

  it('emits start then a user validation error with every problem, and no hand-off, for an invalid request', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = aJob('r1', { prompt: '   ', options: { scope: 5, colour: 'red', signal: 'nope' } }, 0);
      const source = cold('(q|)', { q: handoff('request', job) });
      const issues = [
        'prompt must not be empty or whitespace only',
        'scope must be a string (got number)',
        'signal must be an AbortSignal',
        'unknown option "colour" (known: requestId, signal, scope)',
      ];
      expectObservable(source.pipe(validate(deps()))).toBe('(se|)', { s: start(job), e: validationError(job, issues) });
      flush();
      expect(job.request).toBeUndefined();
    });
  });

  it('reports every problem of the prompt itself, not just the first', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const job = aJob('r1', { prompt: ` \u0007${'x'.repeat(limits.maxPromptChars)}`, options: undefined }, 0);
      const issues = [
        'prompt must not contain control characters other than tab, newline and carriage return',
        `prompt must be at most ${limits.maxPromptChars} characters (code points)`,
      ];
      expectObservable(cold('(q|)', { q: handoff('request', job) }).pipe(validate(deps())))
        .toBe('(se|)', { s: start(job), e: validationError(job, issues) });
    });
  });

  it('rejects a prompt that is not a string, and options that are not an object, together', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const job = aJob('r1', { prompt: 42, options: 'fast' }, 0);
      const issues = ['prompt must be a string (got number)', 'options must be an object (got string)'];
      expectObservable(cold('(q|)', { q: handoff('request', job) }).pipe(validate(deps())))
        .toBe('(se|)', { s: start(job), e: validationError(job, issues) });
    });
  });

  it('gives the custom validator the decoded request and turns its problems into the validation error', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = aJob('r1', { prompt: 'Hello there', options: { scope: 'tenant-1' } }, 0);
      const validator = jest.fn((_request: DialogueRequest) => ['prompt must mention a product', 'tenant-1 is over quota']);
      expectObservable(cold('(q|)', { q: handoff('request', job) }).pipe(validate(deps({ validator }))))
        .toBe('(se|)', { s: start(job), e: validationError(job, ['prompt must mention a product', 'tenant-1 is over quota']) });
      flush();
      expect(validator.mock.calls).toEqual([[{ requestId: 'r1', prompt: 'Hello there', scope: 'tenant-1' }]]);
      expect(job.request).toBeUndefined();
    });
  });

  it('lets the request through when the custom validator finds no problem', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const job = aJob();
      const validator = jest.fn(() => []);
      expectObservable(cold('(q|)', { q: handoff('request', job) }).pipe(validate(deps({ validator }))))
        .toBe('(sv|)', { s: start(job), v: handoff('validated', job) });
    });
  });

  it('does not call the custom validator when the built-in checks already failed (it needs a decoded request)', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = aJob('r1', { prompt: '', options: undefined }, 0);
      const validator = jest.fn(() => ['extra']);
      expectObservable(cold('(q|)', { q: handoff('request', job) }).pipe(validate(deps({ validator }))))
        .toBe('(se|)', { s: start(job), e: validationError(job, ['prompt must not be empty or whitespace only']) });
      flush();
      expect(validator).not.toHaveBeenCalled();
    });
  });

  it('records the validation stage, custom validator included, in job.metrics.stages', () => {
    let now = 0;
    const clock = { now: () => now };
    const validator = (): string[] => {
      now += 4;
      return [];
    };
    newScheduler().run(({ cold, flush }) => {
      const job = aJob();
      cold('q|', { q: handoff('request', job) }).pipe(validate(deps({ clock, validator }))).subscribe();
      flush();
      expect(job.metrics.stages).toEqual({ validation: 4 });
    });
  });

  it('records the validation stage when the request is invalid too', () => {
    let now = 0;
    const clock = { now: () => now };
    const validator = (): string[] => {
      now += 2;
      return ['no'];
    };
    newScheduler().run(({ cold, flush }) => {
      const job = aJob();
      cold('q|', { q: handoff('request', job) }).pipe(validate(deps({ clock, validator }))).subscribe();
      flush();
      expect(job.metrics.stages).toEqual({ validation: 2 });
    });
  });

  it('validates each request hand-off on its own', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const good = aJob('good', { prompt: 'Hi', options: undefined }, 0);
      const bad = aJob('bad', { prompt: '', options: undefined }, 0);
      const source = cold('-g---b---|', { g: handoff('request', good), b: handoff('request', bad) });
      expectObservable(source.pipe(validate(deps()))).toBe('-(sv)(SE)|', {
        s: start(good), v: handoff('validated', good),
        S: start(bad), E: validationError(bad, ['prompt must not be empty or whitespace only']),
      });
    });
  });

  it('passes every other kind through as the same object', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const ev = everyKind(aJob());
      const letters = lettersExcept('q');
      const source: Observable<StageEvent> = cold(`${letters}|`, ev);
      const seen: StageEvent[] = [];
      expectObservable(source.pipe(validate(deps()), tap((event) => seen.push(event)))).toBe(`${letters}|`, ev);
      flush();
      expect(seen).toHaveLength(letters.length);
      seen.forEach((event, i) => expect(event).toBe(ev[letters[i]]));
    });
  });
});
