import { describe, expect, it } from 'vitest';
import { type BreakerState, CircuitBreaker, CircuitOpenError } from '../../writeback/delivery/breaker.ts';
import { parseRetryAfter } from '../../writeback/delivery/http.ts';
import { type AttemptInfo, backoffMs, withRetry } from '../../writeback/delivery/retry.ts';
import { TargetRejectedError, TargetUnavailableError } from '../../writeback/errors.ts';

const down = (retryAfterMs?: number) =>
  new TargetUnavailableError('crm', 'HTTP 503', { status: 503, ...(retryAfterMs ? { retryAfterMs } : {}) });
const refused = () => new TargetRejectedError('crm', 'INVALID_FIELD', 'HTTP 400 INVALID_FIELD');

describe('backoffMs', () => {
  it('draws below a ceiling that doubles per attempt and stops at maxMs', () => {
    const top = () => 0.999_999;
    expect(backoffMs(1, { baseMs: 100, maxMs: 10_000, random: top })).toBe(99);
    expect(backoffMs(2, { baseMs: 100, maxMs: 10_000, random: top })).toBe(199);
    expect(backoffMs(4, { baseMs: 100, maxMs: 10_000, random: top })).toBe(799);
    expect(backoffMs(30, { baseMs: 100, maxMs: 10_000, random: top })).toBe(9_999);
    expect(backoffMs(3, { baseMs: 100, maxMs: 10_000, random: () => 0 })).toBe(0);
    expect(backoffMs(3, { baseMs: 100, maxMs: 10_000, random: () => 0.5 })).toBe(200);
  });

  it('lets a larger Retry-After win, a smaller one not, and caps it at maxMs', () => {
    const half = () => 0.5;
    expect(backoffMs(1, { baseMs: 100, maxMs: 60_000, retryAfterMs: 7_000, random: half })).toBe(7_000);
    expect(backoffMs(10, { baseMs: 100, maxMs: 60_000, retryAfterMs: 10, random: half })).toBe(25_600);
    expect(backoffMs(1, { baseMs: 100, maxMs: 5_000, retryAfterMs: 120_000, random: half })).toBe(5_000);
  });
});

describe('withRetry', () => {
  const recorder = () => {
    const delays: number[] = [];
    return { delays, sleep: async (ms: number) => void delays.push(ms) };
  };

  it('retries retryable failures and returns the first success', async () => {
    const { delays, sleep } = recorder();
    const seen: AttemptInfo[] = [];
    let calls = 0;
    const result = await withRetry(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw down();
        return `ok on ${attempt}`;
      },
      { attempts: 5, baseMs: 100, maxMs: 1_000, random: () => 0.5, sleep, onAttempt: (i) => seen.push(i) },
    );
    expect(result).toBe('ok on 3');
    expect(calls).toBe(3);
    expect(delays).toEqual([50, 100]);
    expect(seen.map((s) => [s.attempt, s.delayMs])).toEqual([
      [1, 50],
      [2, 100],
    ]);
  });

  it('waits what Retry-After asks when it is longer than the back-off', async () => {
    const { delays, sleep } = recorder();
    let n = 0;
    await withRetry(
      async () => {
        if (n++ === 0) throw down(4_000);
      },
      { attempts: 3, baseMs: 100, maxMs: 60_000, random: () => 0.5, sleep },
    );
    expect(delays).toEqual([4_000]);
  });

  it('stops at once on a rejection and after the last attempt, rethrowing the error itself', async () => {
    const { delays, sleep } = recorder();
    let calls = 0;
    const rejection = refused();
    await expect(
      withRetry(
        async () => {
          calls++;
          throw rejection;
        },
        { attempts: 5, baseMs: 1, maxMs: 1, sleep },
      ),
    ).rejects.toBe(rejection);
    expect(calls).toBe(1);

    const seen: AttemptInfo[] = [];
    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw down();
        },
        { attempts: 3, baseMs: 1, maxMs: 1, sleep, onAttempt: (i) => seen.push(i) },
      ),
    ).rejects.toBeInstanceOf(TargetUnavailableError);
    expect(calls).toBe(3);
    expect(seen.map((s) => s.delayMs)).toEqual([expect.any(Number), expect.any(Number), undefined]);
    expect(delays).toHaveLength(2);
  });

  it('gives up when its signal aborts', async () => {
    const ctl = new AbortController();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          ctl.abort();
          throw down();
        },
        { attempts: 10, baseMs: 1, maxMs: 1, signal: ctl.signal },
      ),
    ).rejects.toBeInstanceOf(TargetUnavailableError);
    expect(calls).toBe(1);
  });
});

describe('CircuitBreaker', () => {
  const setup = () => {
    let t = 1_000_000;
    const states: BreakerState[] = [];
    const breaker = new CircuitBreaker('crm', {
      failures: 3,
      cooldownMs: 1_000,
      now: () => t,
      onStateChange: (s) => states.push(s),
    });
    const advance = (ms: number) => {
      t += ms;
    };
    return { breaker, states, advance };
  };
  const fail = () => Promise.reject(down());

  it('opens after N consecutive failures and refuses without calling, with the remaining cooldown', async () => {
    const { breaker, states, advance } = setup();
    for (let i = 0; i < 3; i++)
      await expect(breaker.run(fail)).rejects.toBeInstanceOf(TargetUnavailableError);
    expect(breaker.state()).toBe('open');
    expect(states).toEqual(['open']);
    advance(400);
    let called = false;
    const err = await breaker
      .run(async () => {
        called = true;
      })
      .catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(err).toBeInstanceOf(TargetUnavailableError);
    expect((err as CircuitOpenError).retryAfterMs).toBe(600);
  });

  it('lets one probe through after the cooldown: success closes, failure re-opens', async () => {
    const { breaker, states, advance } = setup();
    for (let i = 0; i < 3; i++) await breaker.run(fail).catch(() => undefined);
    advance(1_000);
    let release: () => void = () => undefined;
    const probe = breaker.run(() => new Promise<string>((r) => (release = () => r('probe ok'))));
    expect(breaker.state()).toBe('half_open');
    await expect(breaker.run(async () => 'second')).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    await expect(probe).resolves.toBe('probe ok');
    expect(breaker.state()).toBe('closed');
    expect(states).toEqual(['open', 'half_open', 'closed']);

    for (let i = 0; i < 3; i++) await breaker.run(fail).catch(() => undefined);
    advance(1_000);
    await expect(breaker.run(fail)).rejects.toBeInstanceOf(TargetUnavailableError);
    expect(breaker.state()).toBe('open');
    expect(states.slice(3)).toEqual(['open', 'half_open', 'open']);
    advance(999);
    await expect(breaker.run(async () => 'x')).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('does not count rejections, and a rejection ends a failure streak', async () => {
    const { breaker } = setup();
    for (let i = 0; i < 10; i++) {
      await expect(breaker.run(() => Promise.reject(refused()))).rejects.toBeInstanceOf(TargetRejectedError);
    }
    expect(breaker.state()).toBe('closed');
    await breaker.run(fail).catch(() => undefined);
    await breaker.run(fail).catch(() => undefined);
    expect(breaker.failureStreak()).toBe(2);
    await breaker.run(() => Promise.reject(refused())).catch(() => undefined);
    expect(breaker.failureStreak()).toBe(0);
    await breaker.run(fail).catch(() => undefined);
    await breaker.run(fail).catch(() => undefined);
    expect(breaker.state()).toBe('closed');
    await breaker.run(() => Promise.reject(new Error('a bug, not the target'))).catch(() => undefined);
    expect(breaker.failureStreak()).toBe(2);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores what it cannot read', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
