import { TargetRejectedError, TargetUnavailableError } from '../errors.ts';

/**
 * A circuit breaker per external target. After `failures` consecutive failures (TargetUnavailableError:
 * down, timing out, rate-limiting) it opens and refuses calls without making them for `cooldownMs`, so an
 * outage is not hammered by every queued command; then one probe call goes through (half-open): success
 * closes it, failure opens it for another cooldown. A rejection (TargetRejectedError) proves the target
 * answered, so it is not a failure and it ends a streak. Other errors (bugs, KV) do not touch the state.
 */

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  readonly failures: number;
  readonly cooldownMs: number;
  readonly now?: () => number;
  readonly onStateChange?: (state: BreakerState, target: string) => void;
  /** Which errors count as the target failing; TargetUnavailableError by default. */
  readonly isFailure?: (err: unknown) => boolean;
}

/** Thrown instead of calling the target while the circuit is open (a TargetUnavailableError: retry later). */
export class CircuitOpenError extends TargetUnavailableError {
  constructor(target: string, retryAfterMs: number) {
    super(target, `circuit open (retry in ${retryAfterMs} ms)`, { retryAfterMs });
  }
}

/** While a half-open probe is in flight, other callers are told to come back after this much at most. */
const PROBE_WAIT_MS = 1_000;

export class CircuitBreaker {
  readonly target: string;
  private current: BreakerState = 'closed';
  private streak = 0;
  private openedAt = 0;
  private probing = false;
  private readonly now: () => number;
  private readonly isFailure: (err: unknown) => boolean;

  constructor(
    target: string,
    private readonly options: BreakerOptions,
  ) {
    this.target = target;
    this.now = options.now ?? Date.now;
    this.isFailure = options.isFailure ?? ((err) => err instanceof TargetUnavailableError);
  }

  state(): BreakerState {
    return this.current;
  }

  /** Consecutive failures counted so far (reset by any answer from the target). */
  failureStreak(): number {
    return this.streak;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.admit();
    const probe = this.current === 'half_open';
    if (probe) this.probing = true;
    try {
      const result = await fn();
      this.answered();
      return result;
    } catch (err) {
      if (this.isFailure(err)) this.failed();
      else if (err instanceof TargetRejectedError) this.answered();
      throw err;
    } finally {
      if (probe) this.probing = false;
    }
  }

  /** Throws CircuitOpenError unless a call may go through now. */
  private admit(): void {
    if (this.current === 'open') {
      const remaining = this.openedAt + this.options.cooldownMs - this.now();
      if (remaining > 0) throw new CircuitOpenError(this.target, remaining);
      this.set('half_open');
    }
    if (this.current === 'half_open' && this.probing) {
      throw new CircuitOpenError(this.target, Math.min(PROBE_WAIT_MS, this.options.cooldownMs));
    }
  }

  /** The target answered (success or a permanent rejection): it is reachable. */
  private answered(): void {
    this.streak = 0;
    if (this.current !== 'closed') this.set('closed');
  }

  private failed(): void {
    this.streak++;
    if (this.current === 'half_open' || (this.current === 'closed' && this.streak >= this.options.failures)) {
      this.openedAt = this.now();
      this.set('open');
    }
  }

  private set(state: BreakerState): void {
    this.current = state;
    this.options.onStateChange?.(state, this.target);
  }
}
