/** redisCoordinator against a real Redis: flight claims and logs, cross-replica cancel, failures. */
import { firstValueFrom, lastValueFrom, toArray, type Observable } from 'rxjs';
import type { Coordinator, FlightClaim, FlightFollower, FlightLeader, FlightRecord, RemoteCancel } from '../../src/ports';
import { CoordinationError, redisCoordinator, type RedisCoordinatorOptions } from '../../src/sources/redis-coordinator';
import { connectRaw, pollUntil, startRedis, type TestRedis } from '../support/redis-server';

jest.setTimeout(20_000);

const token = (text: string): FlightRecord => ({ kind: 'event', event: { type: 'token', source: 'x', text } });

/** Subscribes to a claim and resolves with its role; `release()` unsubscribes. */
const claimed = async (coordinator: Coordinator, key: string): Promise<{ claim: FlightClaim; release(): void }> => {
  let release = (): void => undefined;
  const claim = await new Promise<FlightClaim>((resolve, reject) => {
    const sub = coordinator.claim(key).subscribe({ next: resolve, error: reject });
    release = () => sub.unsubscribe();
  });
  return { claim, release };
};

const asLeader = (claim: FlightClaim): FlightLeader => {
  if (claim.role !== 'leader') throw new Error('expected to lead');
  return claim;
};
const asFollower = (claim: FlightClaim): FlightFollower => {
  if (claim.role !== 'follower') throw new Error('expected to follow');
  return claim;
};

/** Subscribes once: what it emitted so far, and the error it ends with (rejects if it completes). */
const watch = <T>(events$: Observable<T>): { seen: T[]; failed: Promise<unknown> } => {
  const seen: T[] = [];
  const failed = new Promise<unknown>((resolve, reject) => events$.subscribe({
    next: (value) => seen.push(value),
    error: resolve,
    complete: () => reject(new Error('completed instead of failing')),
  }));
  return { seen, failed };
};

describe('redisCoordinator', () => {
  let redis: TestRedis;
  let raw: Awaited<ReturnType<typeof connectRaw>>;
  const open: Coordinator[] = [];
  let n = 0;

  const coordinator = (options: RedisCoordinatorOptions = {}): Coordinator => {
    const made = redisCoordinator({ url: redis.url, namespace: redis.namespace, replicaId: `rep${++n}`, blockMs: 100, ...options });
    open.push(made);
    return made;
  };

  beforeAll(async () => {
    redis = await startRedis();
    raw = await connectRaw(redis.url);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    raw?.destroy();
    await redis?.stop();
  });

  describe('claim', () => {
    it('makes the first claim the leader and later ones followers that replay its log from the start', async () => {
      const [a, b] = [coordinator(), coordinator()];
      const leading = await claimed(a, 'k1');
      const leader = asLeader(leading.claim);
      expect(leader.takeover).toBe(false);
      leader.append(token('one'));
      leader.append(token(' two'));
      const following = await claimed(b, 'k1');
      const records = lastValueFrom(asFollower(following.claim).records.pipe(toArray()));
      leader.append({ kind: 'answer', text: 'one two', degraded: false });
      leader.append({ kind: 'end' });
      leading.release();
      await expect(records).resolves.toEqual([token('one'), token(' two'), { kind: 'answer', text: 'one two', degraded: false }, { kind: 'end' }]);
      following.release();
    });

    it('deletes the lock at the end and leaves the log to expire', async () => {
      const a = coordinator({ streamTtlMs: 5000 });
      const leading = await claimed(a, 'k2');
      asLeader(leading.claim).append(token('x'));
      asLeader(leading.claim).append({ kind: 'end' });
      leading.release();
      const lock = `${redis.namespace}:flight:{k2}:lock`;
      await pollUntil('the lock to go', async () => (await raw.exists(lock)) === 0);
      const [log] = await raw.keys(`${redis.namespace}:flight:{k2}:log:*`);
      expect(log).toBeDefined();
      const ttl = await raw.pTTL(log);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5000);
    });

    it('renews the lock while the leader holds it', async () => {
      const a = coordinator({ lockTtlMs: 300 });
      const leading = await claimed(a, 'k3');
      const lock = `${redis.namespace}:flight:{k3}:lock`;
      let last = await raw.pTTL(lock);
      let renewals = 0;
      await pollUntil('two renewals', async () => {
        const ttl = await raw.pTTL(lock);
        if (ttl > last) renewals++;
        last = ttl;
        return renewals >= 2;
      }, { timeoutMs: 3000 });
      expect(await raw.exists(lock)).toBe(1);
      leading.release();
    });

    it("errors the followers' records when the leader leaves before the end", async () => {
      const [a, b] = [coordinator(), coordinator()];
      const leading = await claimed(a, 'k4');
      asLeader(leading.claim).append(token('partial'));
      const following = await claimed(b, 'k4');
      const { seen, failed } = watch(asFollower(following.claim).records);
      await pollUntil('the partial record', () => seen.length > 0);
      leading.release();
      await expect(failed).resolves.toEqual(expect.objectContaining({ _tag: 'CoordinationError', operation: 'lost' }));
      following.release();
    });

    it('notices a dead leader: a silent log and an expired lock', async () => {
      const b = coordinator();
      const lock = `${redis.namespace}:flight:{k5}:lock`;
      await raw.set(lock, 'ghost/f00d', { expiration: { type: 'PX', value: 300 } });
      await raw.xAdd(`${redis.namespace}:flight:{k5}:log:f00d`, '*', { r: JSON.stringify([token('from a ghost')]) });
      const following = await claimed(b, 'k5');
      const started = Date.now();
      const { seen, failed } = watch(asFollower(following.claim).records);
      const error = await failed;
      expect(seen).toEqual([token('from a ghost')]);
      expect(error).toEqual(expect.objectContaining({ operation: 'lost' }));
      expect(Date.now() - started).toBeLessThan(2000);
      following.release();
    });

    it('gives a takeover a fresh log: its followers never see the lost leader\'s records', async () => {
      const [a, b, c] = [coordinator(), coordinator(), coordinator()];
      const leading = await claimed(a, 'k6');
      asLeader(leading.claim).append(token('old'));
      leading.release();
      let release = (): void => undefined;
      const retaken = await new Promise<FlightClaim>((resolve) => {
        const sub = b.claim('k6', { takeover: true }).subscribe(resolve);
        release = () => sub.unsubscribe();
      });
      const leader = asLeader(retaken);
      expect(leader.takeover).toBe(true);
      const following = await claimed(c, 'k6');
      const records = lastValueFrom(asFollower(following.claim).records.pipe(toArray()));
      leader.append(token('new'));
      leader.append({ kind: 'end' });
      release();
      await expect(records).resolves.toEqual([token('new'), { kind: 'end' }]);
      following.release();
    });

    it('fails a claim in bounded time when Redis cannot be reached', async () => {
      const dead = coordinator({ url: 'redis://127.0.0.1:1', opTimeoutMs: 300 });
      const started = Date.now();
      await expect(firstValueFrom(dead.claim('k7'))).rejects.toEqual(expect.objectContaining({ _tag: 'CoordinationError' }));
      expect(Date.now() - started).toBeLessThan(1500);
      await expect(firstValueFrom(dead.cancelAnywhere('x'))).resolves.toBe(false);
    });
  });

  describe('cancel', () => {
    /** Listens to `coordinator`'s cancel orders, replying `running` for the ids in `here`. */
    const listen = (coordinator: Coordinator, here: readonly string[] = []) => {
      const orders: string[] = [];
      const sub = coordinator.cancelOrders().subscribe((order: RemoteCancel) => {
        orders.push(order.requestId);
        order.reply(here.includes(order.requestId));
      });
      return { orders, sub };
    };

    it('delivers cancel orders to the other replicas, not back to the sender', async () => {
      const [a, b] = [coordinator(), coordinator()];
      const onA = listen(a);
      const onB = listen(b);
      await pollUntil('the order on A', async () => {
        await firstValueFrom(b.broadcastCancel('r1'));
        return onA.orders.includes('r1');
      });
      expect(onB.orders).toEqual([]);
      onA.sub.unsubscribe();
      onB.sub.unsubscribe();
    });

    it('tells cancelAnywhere that another replica had the request, and that none had another', async () => {
      const [a, b, c] = [coordinator(), coordinator(), coordinator()];
      const listeners = [listen(a, ['running-on-a']), listen(b), listen(c)];
      await pollUntil('A answers', async () => firstValueFrom(b.cancelAnywhere('running-on-a')));
      const started = Date.now();
      await expect(firstValueFrom(b.cancelAnywhere('nowhere'))).resolves.toBe(false);
      expect(Date.now() - started).toBeLessThan(200); // both others said no: no need to wait 250 ms
      listeners.forEach((l) => l.sub.unsubscribe());
    });

    it('gives up waiting after cancelWaitMs when a listener never answers', async () => {
      const b = coordinator({ cancelWaitMs: 150 });
      listen(b);
      const mute = await connectRaw(redis.url);
      await mute.subscribe(`${redis.namespace}:cancel`, () => undefined);
      try {
        const started = Date.now();
        await expect(firstValueFrom(b.cancelAnywhere('nobody-answers'))).resolves.toBe(false);
        expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      } finally {
        mute.destroy();
      }
    });
  });

  it('refuses invalid options', () => {
    expect(() => redisCoordinator({ url: 'redis://x', client: {} as never })).toThrow(TypeError);
    expect(() => redisCoordinator({ namespace: 'bad space' })).toThrow(TypeError);
    expect(() => redisCoordinator({ lockTtlMs: 0 })).toThrow(TypeError);
    expect(() => redisCoordinator({ closeTimeoutMs: 0 })).toThrow(new TypeError('redisCoordinator: closeTimeoutMs must be a positive whole number'));
    expect(() => redisCoordinator({ replicaId: 'a/b' })).toThrow(TypeError);
  });

  it("works on a client you own, and leaves it open on close()", async () => {
    const own = await connectRaw(redis.url);
    try {
      const borrowed = redisCoordinator({ client: own, namespace: redis.namespace, replicaId: 'borrower', blockMs: 100 });
      const other = coordinator();
      const leading = await claimed(borrowed, 'k10');
      const following = await claimed(other, 'k10');
      const records = lastValueFrom(asFollower(following.claim).records.pipe(toArray()));
      asLeader(leading.claim).append({ kind: 'end' });
      leading.release();
      await expect(records).resolves.toEqual([{ kind: 'end' }]);
      await borrowed.close();
      expect(own.isReady).toBe(true);
      await expect(own.ping()).resolves.toBe('PONG');
    } finally {
      own.destroy();
    }
  });

  it('releases its claims and refuses new ones once closed', async () => {
    const a = redisCoordinator({ url: redis.url, namespace: redis.namespace });
    await claimed(a, 'k8');
    await a.close();
    expect(await raw.exists(`${redis.namespace}:flight:{k8}:lock`)).toBe(0);
    await expect(firstValueFrom(a.claim('k9'))).rejects.toBeInstanceOf(CoordinationError);
  });
});
