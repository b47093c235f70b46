import { RetryableError } from '../../core/mod.ts';
import { TargetUnavailableError } from '../errors.ts';

/**
 * Jittered exponential back-off. Pure: the random source and the sleep are parameters, so a test asserts
 * the computed delays without waiting for them.
 */

export interface BackoffOptions {
  /** The first retry's ceiling; each further attempt doubles it. */
  readonly baseMs: number;
  /** No delay exceeds this, not even one asked for by Retry-After. */
  readonly maxMs: number;
  /** The target's own hint (Retry-After); it wins when larger than the jittered delay. */
  readonly retryAfterMs?: number | undefined;
  /** A number in [0, 1); Math.random by default. */
  readonly random?: () => number;
}

/**
 * The delay before retry number `attempt` (1 = the first retry): "full jitter", a uniform draw in
 * [0, min(maxMs, baseMs·2^(attempt−1))), so many writers hitting the same outage spread out instead of
 * returning together. A larger Retry-After wins; the result never exceeds maxMs.
 */
export function backoffMs(attempt: number, options: BackoffOptions): number {
  const { baseMs, maxMs } = options;
  const random = options.random ?? Math.random;
  const exp = Math.max(0, Math.min(attempt - 1, 52));
  const ceiling = Math.min(maxMs, baseMs * 2 ** exp);
  const jittered = Math.floor(random() * ceiling);
  const hinted = options.retryAfterMs ?? 0;
  return Math.min(maxMs, Math.max(jittered, hinted));
}

export interface AttemptInfo {
  /** 1-based number of the attempt that just failed. */
  readonly attempt: number;
  readonly error: unknown;
  /** The delay before the next attempt; undefined when this was the last one. */
  readonly delayMs: number | undefined;
}

export interface RetryOptions {
  /** Total attempts, the first included (1 = no retry). */
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /** Which errors are worth another attempt; by default RetryableError (TargetUnavailableError included). */
  readonly isRetryable?: (err: unknown) => boolean;
  /** Called after every failed attempt (metrics, the write's attempt history). */
  readonly onAttempt?: (info: AttemptInfo) => void;
  /** Stops waiting and gives up with the last error (shutdown). */
  readonly signal?: AbortSignal;
  readonly random?: () => number;
  /** How to wait; a test passes one that records the delay and returns at once. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const isRetryableError = (err: unknown): boolean => err instanceof RetryableError;

/** Resolves after `ms`, or at once when `signal` aborts (the caller then checks the signal). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Calls `fn` until it succeeds, throws a non-retryable error, or `attempts` are used up; then the last
 * error propagates unchanged (so the caller still sees TargetUnavailableError vs TargetRejectedError).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const isRetryable = options.isRetryable ?? isRetryableError;
  const wait = options.sleep ?? sleep;
  const attempts = Math.max(1, options.attempts);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const last = attempt >= attempts || !isRetryable(err) || options.signal?.aborted === true;
      const delayMs = last
        ? undefined
        : backoffMs(attempt, {
            baseMs: options.baseMs,
            maxMs: options.maxMs,
            retryAfterMs: err instanceof TargetUnavailableError ? err.retryAfterMs : undefined,
            ...(options.random ? { random: options.random } : {}),
          });
      options.onAttempt?.({ attempt, error: err, delayMs });
      if (delayMs === undefined) throw err;
      await wait(delayMs, options.signal);
      if (options.signal?.aborted) throw err;
    }
  }
}
