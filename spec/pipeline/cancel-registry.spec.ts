import { CancelRegistry, abortReason } from '../../src/pipeline/cancel-registry';

const listen = (registry: CancelRegistry, id: string, signal?: AbortSignal) => {
  const { cancel$, release } = registry.register(id, signal);
  const reasons: string[] = [];
  let completed = false;
  const subscription = cancel$.subscribe({ next: (reason) => reasons.push(reason), complete: () => { completed = true; } });
  return { reasons, completed: () => completed, release, subscription };
};

describe('CancelRegistry', () => {
  it('cancels exactly the request named, among thousands in flight, once', () => {
    const registry = new CancelRegistry();
    const all = Array.from({ length: 5000 }, (_, i) => listen(registry, `r${i}`));
    expect(registry.cancel('r4321', 'cancelled')).toBe(true);
    expect(all[4321]!.reasons).toEqual(['cancelled']);
    expect(all[4321]!.completed()).toBe(true);
    expect(all.filter((entry) => entry.reasons.length > 0)).toHaveLength(1);
    expect(registry.cancel('r4321', 'again')).toBe(true); // still registered until released
    expect(all[4321]!.reasons).toEqual(['cancelled']);
    expect(registry.cancel('nope', 'cancelled')).toBe(false);
  });

  it('cancelAll reaches every request registered before it, not one registered while it runs', () => {
    const registry = new CancelRegistry();
    const late: ReturnType<typeof listen>[] = [];
    const first = listen(registry, 'a');
    first.subscription.add(() => { late.push(listen(registry, 'late')); });
    const second = listen(registry, 'b');
    expect(registry.cancelAll('cancelled (all)')).toBe(2);
    expect([first.reasons, second.reasons]).toEqual([['cancelled (all)'], ['cancelled (all)']]);
    expect(late[0]?.reasons).toEqual([]);
  });

  it('keeps a cancel that comes before the cancel signal is subscribed', () => {
    const registry = new CancelRegistry();
    const { cancel$ } = registry.register('early');
    registry.cancel('early', 'cancelled');
    const reasons: string[] = [];
    cancel$.subscribe((reason) => reasons.push(reason));
    expect(reasons).toEqual(['cancelled']);
  });

  it("forwards the caller's AbortSignal with its reason, and drops the listener on release", () => {
    const registry = new CancelRegistry();
    const controller = new AbortController();
    const entry = listen(registry, 's', controller.signal);
    controller.abort(new Error('user left'));
    expect(entry.reasons).toEqual(['aborted: user left']);
    const quiet = new AbortController();
    const other = listen(registry, 't', quiet.signal);
    other.subscription.unsubscribe();
    quiet.abort();
    expect(other.reasons).toEqual([]);
    expect(abortReason(quiet.signal)).toBe('aborted');
  });

  it('releases only its own registration, so a request reusing the id is not dropped', () => {
    const registry = new CancelRegistry();
    const old = listen(registry, 'same');
    registry.release('same');
    const reused = listen(registry, 'same');
    old.release();
    expect(registry.has('same')).toBe(true);
    expect(registry.ids()).toEqual(['same']);
    reused.release();
    expect(registry.size).toBe(0);
  });
});
