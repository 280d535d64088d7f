/**
 * `staged(stage)`: the building block of the chain's operators, with operator fusion.
 *
 * A stage reacts to the event kinds it owns and hands every other event to the next stage
 * (`next(event)`): the "action stream" of the chain. `staged(stage)` is an ordinary
 * `OperatorFunction`, so a stage can be piped, marble-tested and mixed with any RxJS operator.
 * When a staged operator is applied to the output of another staged operator, the two are FUSED:
 * the result subscribes to the first one's source once and runs both stages as plain function
 * calls, so an event passing through N fused stages costs N calls and one subscriber hop, not N
 * hops (each hop is 2-3 stack frames and a `Subscriber`). A user operator inserted between two
 * stages (a `map`, a `tap`) simply ends one fused segment and starts the next: same behaviour,
 * one more hop.
 *
 * Tokens take a shorter road. A stage that hands every `token` event on unchanged says so
 * (`staged(stage, { ignoresTokens: true })`), and a stage that emits a token hands it to
 * `context.token(event)`: the next stage that looks at tokens (or the sink's `token`). In the
 * default chain every stage but `guard` (and with `noGuard` that one too) is skipped that way:
 * a token costs a call per stage that does something with it. The order of events is the same
 * either way, since every stage hands events on synchronously.
 *
 * A stage may start inner work with `run(source$, observer)`: the inner source is tracked (the
 * fused Observable completes once its source and every inner source have completed), torn down
 * when the fused Observable is unsubscribed, and an error it does not handle itself errors the
 * result. A stage that throws errors the result too.
 *
 *     source:  -r----|       stage A turns r into a, stage B turns a into b
 *     result:  -b----|       one subscription to the source; A and B run as function calls
 */
import { Observable, Subscriber, Subscription, type OperatorFunction, type TeardownLogic, type Unsubscribable } from 'rxjs';
import type { ChainEvent } from '../chain-events';
import type { TokenEvent } from '../events';

/** Where an inner source's notifications go; `error` absent: the inner's error errors the result. */
export interface StageObserver<T> {
  next(value: T): void;
  error?(error: unknown): void;
  complete?(): void;
}

/**
 * What a stage can do besides handling events. Valid for one subscription. `next` is a plain
 * function (pass it on freely); the others are methods: call them on the context
 * (`context.run(...)`), since destructuring them loses their `this` (the compiler says so).
 */
export interface StageContext {
  /** Hands an event to the next stage (after the last stage: to the subscriber). */
  readonly next: (event: ChainEvent) => void;
  /**
   * Hands a `token` event on, past the stages that ignore tokens: the same as `next` for a
   * token, one call per stage cheaper. Also a plain function.
   */
  readonly token: (event: TokenEvent) => void;
  /** Runs an inner source for the stage (see the module doc); unsubscribe the result to stop it early. */
  run<T>(this: StageContext, source: Observable<T>, observer: StageObserver<T>): Subscription;
  /** Adds a teardown that runs when the result is unsubscribed, errors or completes. */
  add(this: StageContext, teardown: TeardownLogic): void;
  /**
   * Holds the result open for work driven some other way than an Observable (no subscriber of
   * its own): it counts as running until `end()` (or `fail(error)`, which errors the result);
   * `onTeardown` runs (a function, or an object's `unsubscribe()`) if the result is torn down first.
   */
  hold(this: StageContext, onTeardown?: HoldTeardown): StageHold;
  /** Errors the result. */
  fail(this: StageContext, error: unknown): void;
}

/** What runs when held work's result is torn down first: a function, or an object's `unsubscribe()`. */
export type HoldTeardown = (() => void) | Unsubscribable;

/** Work a stage holds the result open for (see `StageContext.hold`). */
export interface StageHold {
  /** The work is done: it no longer keeps the result from completing. */
  end(): void;
  /** The work failed: errors the result. */
  fail(error: unknown): void;
}

/**
 * A stage: called once per subscription with its context, returns the handler of every event
 * reaching it. `ignoresTokens`: it hands every `token` event on unchanged (set by `staged`'s option).
 */
export interface ChainStage {
  (context: StageContext): (event: ChainEvent) => void;
  readonly ignoresTokens?: boolean;
}

/** Options of {@link staged}. */
export interface StagedOptions {
  /**
   * The stage hands every `token` event on unchanged, at once: tokens emitted before it with
   * `context.token` then skip it. Default false (every event reaches the stage).
   */
  readonly ignoresTokens?: boolean;
}

/** Where a fused run of stages delivers its result. */
export interface StageSink {
  next(event: ChainEvent): void;
  /** Where tokens handed on with `context.token` go; absent: `next`. */
  token?(event: TokenEvent): void;
  error(error: unknown): void;
  complete(): void;
}

/** A running set of fused stages: feed it events, tell it when its source ended, tear it down. */
export interface StageRunner {
  /** Hands an event to the first stage. */
  push(event: ChainEvent): void;
  /** The source completed: the runner completes once every inner source has. */
  end(): void;
  /** Errors the runner (and tears it down). */
  fail(error: unknown): void;
  /** Unsubscribing it tears down every inner source. */
  readonly subscription: Subscription;
}

/** A fused run of stages over a source: what a staged operator's result is made of. */
export interface FusedStages { readonly root: Observable<ChainEvent>; readonly stages: readonly ChainStage[] }

/** The Observable a staged operator returns: it knows its source and stages, so the next staged operator can fuse. */
class FusedObservable extends Observable<ChainEvent> {
  constructor(readonly fused: FusedStages) {
    super(subscribeFused);
  }
}

/** FusedObservable's subscribe function (shared: RxJS calls it with the Observable as `this`). */
function subscribeFused(this: Observable<ChainEvent>, subscriber: Subscriber<ChainEvent>): TeardownLogic {
  return runFused((this as FusedObservable).fused, subscriber).subscription;
}

/** The source and stages of an Observable made by staged operators; undefined for any other Observable. */
export const fusedOf = (observable: Observable<ChainEvent>): FusedStages | undefined =>
  (observable instanceof FusedObservable ? observable.fused : undefined);

/** Subscribes `fused` with `sink`; returns the runner (its subscription tears everything down). */
export const runFused = (fused: FusedStages, sink: StageSink): StageRunner => {
  const runner = new Runner(fused.stages, sink);
  runner.subscription.add(fused.root.subscribe(new RootObserver(runner)));
  return runner;
};

/**
 * One subscription's run of fused stages. Classes, not closures: a request holds one runner per
 * fused segment while it runs, so their size is per-request memory.
 */
class Runner implements StageRunner {
  readonly subscription = new Subscription();
  /** The source and the inner sources still running. */
  active = 1;
  closed = false;
  private readonly first: (event: ChainEvent) => void;

  constructor(stages: readonly ChainStage[], private readonly sink: StageSink) {
    // Unsubscribed from outside: teardown, not completion (the sink hears nothing more).
    this.subscription.add(this);
    // Arrows from one place sharing one context, not `bind`: every request makes its own, and a call site that
    // sees many bound functions goes megamorphic (a generic call per token), while closures of one function
    // literal share their feedback and stay inlinable.
    let next: (event: ChainEvent) => void = (event) => sink.next(event);
    let token: (event: TokenEvent) => void = sink.token === undefined ? next : (event) => sink.token!(event);
    for (let i = stages.length - 1; i >= 0; i--) {
      const stage = stages[i]!;
      next = stage(new StageLink(next, token, this));
      if (stage.ignoresTokens !== true) token = next;
    }
    this.first = next;
  }

  /** Torn down (as a finalizer of its own subscription). */
  unsubscribe(): void {
    this.closed = true;
  }

  fail(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription.unsubscribe();
    this.sink.error(error);
  }

  end(): void {
    if (!this.closed) this.settle();
  }

  run<T>(source: Observable<T>, observer: StageObserver<T>): Subscription {
    if (this.closed) return Subscription.EMPTY; // torn down meanwhile (e.g. from inside a synchronous start): start nothing
    this.active++;
    const inner = new InnerSubscriber(this, observer);
    // An inner that ends synchronously has settled by the time `subscribe` returns; adding it then does nothing.
    this.subscription.add(inner);
    source.subscribe(inner);
    return inner;
  }

  add(teardown: TeardownLogic): void {
    this.subscription.add(teardown);
  }

  hold(onTeardown?: HoldTeardown): StageHold {
    this.active++;
    const held = new Held(this, onTeardown);
    this.subscription.add(held);
    return held;
  }

  settle(): void {
    if (--this.active > 0 || this.closed) return;
    this.closed = true;
    this.subscription.unsubscribe();
    this.sink.complete();
  }

  push(event: ChainEvent): void {
    if (this.closed) return;
    try {
      this.first(event);
    } catch (error) {
      this.fail(error);
    }
  }
}

/** One stage's context: its `next`, and the runner's methods. */
class StageLink implements StageContext {
  constructor(readonly next: (event: ChainEvent) => void, readonly token: (event: TokenEvent) => void, private readonly runner: Runner) {}
  run<T>(source: Observable<T>, observer: StageObserver<T>): Subscription {
    return this.runner.run(source, observer);
  }
  add(teardown: TeardownLogic): void {
    this.runner.add(teardown);
  }
  hold(onTeardown?: HoldTeardown): StageHold {
    return this.runner.hold(onTeardown);
  }
  fail(error: unknown): void {
    this.runner.fail(error);
  }
}

/** Delivers the source's notifications to the first stage. */
class RootObserver {
  constructor(private readonly runner: Runner) {}
  next(event: ChainEvent): void {
    this.runner.push(event);
  }
  error(error: unknown): void {
    this.runner.fail(error);
  }
  complete(): void {
    this.runner.end();
  }
}

/**
 * Delivers an inner source's notifications to its stage's observer, counting it until it ends.
 * A `Subscriber` itself, so the source (and an operator such as `retry` in it) emits straight
 * into it: no wrapping subscriber and observer between the source and the stage per value.
 */
class InnerSubscriber<T> extends Subscriber<T> {
  constructor(private readonly runner: Runner, private readonly observer: StageObserver<T>) {
    super();
  }
  protected override _next(value: T): void {
    if (this.runner.closed) return;
    try {
      this.observer.next(value);
    } catch (error) {
      this.runner.fail(error);
    }
  }
  protected override _error(error: unknown): void {
    const { runner, observer } = this;
    if (runner.closed) return;
    if (observer.error === undefined) {
      runner.fail(error);
      return;
    }
    try {
      observer.error(error);
    } catch (thrown) {
      runner.fail(thrown);
      return;
    }
    this.unsubscribe();
  }
  protected override _complete(): void {
    if (this.runner.closed) return;
    try {
      this.observer.complete?.();
    } catch (error) {
      this.runner.fail(error);
      return;
    }
    this.unsubscribe();
  }
  /** The inner ended (or was unsubscribed): it no longer keeps the runner from completing. */
  override unsubscribe(): void {
    if (this.closed) return;
    super.unsubscribe();
    this.runner.settle();
  }
}

/** Work held open by a stage: ends, fails, or is torn down with the runner. */
class Held implements StageHold {
  private done = false;
  constructor(private readonly runner: Runner, private readonly onTeardown: HoldTeardown | undefined) {}
  end(): void {
    if (this.done) return;
    this.done = true;
    this.runner.subscription.remove(this);
    if (!this.runner.closed) this.runner.settle();
  }
  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.runner.fail(error);
  }
  /** The runner is torn down while the work is held. */
  unsubscribe(): void {
    if (this.done) return;
    this.done = true;
    const { onTeardown } = this;
    if (typeof onTeardown === 'function') onTeardown();
    else onTeardown?.unsubscribe();
  }
}

/** Opens `stages` for one subscription, delivering to `sink`. */
export const openStages = (stages: readonly ChainStage[], sink: StageSink): StageRunner => new Runner(stages, sink);

/** An Observable running `stages` over `root`, marked so the next staged operator fuses with it. */
export const fusedObservable = (root: Observable<ChainEvent>, stages: readonly ChainStage[]): Observable<ChainEvent> =>
  new FusedObservable({ root, stages });

/** The operator of one stage; fuses with a staged operator before it (see the module doc). */
export const staged = (stage: ChainStage, { ignoresTokens = false }: StagedOptions = {}): OperatorFunction<ChainEvent, ChainEvent> => {
  const marked: ChainStage = ignoresTokens === (stage.ignoresTokens === true) ? stage : Object.assign((context: StageContext) => stage(context), { ignoresTokens });
  return (source) => {
    const fused = fusedOf(source);
    return fused === undefined ? fusedObservable(source, [marked]) : fusedObservable(fused.root, [...fused.stages, marked]);
  };
};

const PROBE = new Observable<ChainEvent>();

/**
 * The stages of an operator built only from staged operators (e.g. `pipe(fanOutExperts(d), fuse(d))`),
 * or undefined when it contains anything else. Lets a stage run another chain segment inline.
 */
export const stagesOf = (operator: OperatorFunction<ChainEvent, ChainEvent>): readonly ChainStage[] | undefined => {
  const fused = fusedOf(operator(PROBE));
  return fused !== undefined && fused.root === PROBE ? fused.stages : undefined;
};
