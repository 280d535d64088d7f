import { of, tap, type Observable } from 'rxjs';
import { handle } from '../../src/operators/handle';
import type { StageEvent } from '../../src/pipeline/stage-events';
import { aJob, everyKind, lettersExcept } from '../support/operator-fixtures';
import { newScheduler } from '../support/virtual-time';

const job = aJob();
const ev = everyKind(job);
/** r = request hand-off, s = start, t = token, c = cache, u = status: all the same objects in every test. */
const values = { r: ev.q, s: ev.s, t: ev.t, c: ev.c, u: ev.u };

describe('handle', () => {
  it('emits what the handler passes to emit synchronously, at the frame of the handled event', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-r---t|', values);
      const result = source.pipe(handle('request', (_event, emit) => {
        emit(ev.s);
        emit(ev.c);
      }));
      expectObservable(result).toBe('-(sc)t|', values);
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it('gives the handler the handled event itself', () => {
    newScheduler().run(({ cold, flush }) => {
      const received: StageEvent[] = [];
      cold('-r|', values).pipe(handle('request', (event) => { received.push(event); })).subscribe();
      flush();
      expect(received).toHaveLength(1);
      expect(received[0]).toBe(ev.q);
    });
  });

  it('swallows the handled event when the handler neither emits nor returns anything', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-t|', values).pipe(handle('request', () => undefined))).toBe('---t|', values);
    });
  });

  it('merges the Observable the handler returns with the events passing through', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -r---t---|', values);
      const inner = cold('   --s--c|', values);
      const expected = '    ---s-tc--|';
      expectObservable(source.pipe(handle('request', () => inner))).toBe(expected, values);
      expectSubscriptions(inner.subscriptions).toBe('-^-----!');
    });
  });

  it('runs one inner Observable per handled event, concurrently', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -r-r------|', values);
      const inner = cold('   ---s|    ', values);
      const expected = '    ----s-s---|';
      expectObservable(source.pipe(handle('request', () => inner))).toBe(expected, values);
      expectSubscriptions(inner.subscriptions).toBe(['-^---!', '---^---!']);
    });
  });

  it('completes only when the source and every inner Observable have completed', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -r|       ', values);
      const inner = cold('   -----c-| ', values);
      const expected = '    ------c-|';
      expectObservable(source.pipe(handle('request', () => inner))).toBe(expected, values);
      expectSubscriptions(source.subscriptions).toBe('^-!');
      expectSubscriptions(inner.subscriptions).toBe('-^------!');
    });
  });

  it('does not complete while the source is still running even if every inner has completed', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-r-------t-', values);
      const inner = cold('  -c|', values);
      expectObservable(source.pipe(handle('request', () => inner))).toBe('--c------t-', values);
    });
  });

  it('tears down the source and every inner Observable on unsubscribe', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-r-r---------t', values);
      const inner = cold('  -s-------c', values);
      const unsub = '      ^-----!';
      expectObservable(source.pipe(handle('request', () => inner)), unsub).toBe('--s-s-', values);
      expectSubscriptions(source.subscriptions).toBe('^-----!');
      expectSubscriptions(inner.subscriptions).toBe(['-^----!', '---^--!']);
    });
  });

  it('errors the stream and tears everything down when the handler throws', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const boom = new Error('handler failed');
      const source = cold('-t-r-r|', values);
      const handler = jest.fn(() => {
        throw boom;
      });
      expectObservable(source.pipe(handle('request', handler))).toBe('-t-#', values, boom);
      expectSubscriptions(source.subscriptions).toBe('^--!');
      flush();
      expect(handler).toHaveBeenCalledTimes(1);
    });
  });

  it('calls the handler no more once the stream has errored, even for a synchronous source', () => {
    newScheduler().run(({ expectObservable, flush }) => {
      const boom = new Error('handler failed');
      const handler = jest.fn(() => {
        throw boom;
      });
      expectObservable(of<StageEvent[]>(ev.q, ev.q, ev.t).pipe(handle('request', handler))).toBe('#', values, boom);
      flush();
      expect(handler).toHaveBeenCalledTimes(1);
    });
  });

  it('errors the stream and tears down the source and the other inners when an inner Observable errors', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const boom = new Error('inner failed');
      const source = cold('-r-r-----t|', values);
      const first = cold('  -------s|', values);
      const second = cold('   -#', values, boom);
      const inners = [first, second];
      let next = 0;
      const result = source.pipe(handle('request', () => inners[next++]));
      expectObservable(result).toBe('----#', values, boom);
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(first.subscriptions).toBe('-^--!');
      expectSubscriptions(second.subscriptions).toBe('---^!');
    });
  });

  it('passes a source error on and tears the inners down', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const boom = new Error('source failed');
      const source = cold('-r--#', values, boom);
      const inner = cold('  -------s|', values);
      expectObservable(source.pipe(handle('request', () => inner))).toBe('----#', values, boom);
      expectSubscriptions(inner.subscriptions).toBe('-^--!');
    });
  });

  it('passes every other kind through as the same object, with no allocation', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const letters = lettersExcept('q');
      const source: Observable<StageEvent> = cold(`${letters}|`, ev);
      const seen: StageEvent[] = [];
      const handler = jest.fn();
      expectObservable(source.pipe(handle('request', handler), tap((event) => seen.push(event)))).toBe(`${letters}|`, ev);
      flush();
      expect(handler).not.toHaveBeenCalled();
      expect(seen).toHaveLength(letters.length);
      seen.forEach((event, i) => expect(event).toBe(ev[letters[i]]));
    });
  });
});
