import { RetryableError } from './errors.ts';

/**
 * Declaring JetStream assets must survive other Dockside processes declaring the same ones at the same
 * moment (`docker compose --scale dockside=3` on a fresh cluster): the meta leader answers one create,
 * the racing ones time out or hear "already in use", and a new stream without its leader yet times out
 * updates. Each of those resolves itself once the winner's asset exists, so the whole read-then-write step
 * is run again with back-off until a deadline, and only then does start-up stop, with a Dockside error.
 * "Stream not found" belongs there too: a server whose copy of the cluster metadata lags can answer an
 * update of an asset the same step has just created with it; the step creates what is missing anyway.
 */
export interface DeclareRetry {
  /** Give up after this long (default 60 s: a fresh R3 cluster electing leaders under several creators). */
  readonly deadlineMs?: number;
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** Errors a repeat of the same declaration can get past (timeouts, races, a cluster still electing). */
export function isTransientJetStreamError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const text = `${err.name} ${err.message} ${err.cause instanceof Error ? err.cause.message : ''}`;
  return /timeout|timed out|already in use|already exists|temporarily unavailable|no responders|jetstream (is )?not enabled|not ready|no suitable peers|leader|quorum|cluster|stream not found/i.test(
    text,
  );
}

/**
 * Runs `step` (which must be idempotent: read the asset, create it if missing, update it if it differs)
 * until it succeeds, retrying transient errors with doubling delays. A non-transient error, or a transient
 * one past the deadline, becomes a RetryableError naming what was being declared, with the cause.
 */
export async function declareWithRetry<T>(
  what: string,
  step: () => Promise<T>,
  opts: DeclareRetry = {},
): Promise<T> {
  const deadline = Date.now() + (opts.deadlineMs ?? 60_000);
  let delay = opts.firstDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (cause) {
      const transient = isTransientJetStreamError(cause);
      if (!transient || Date.now() + delay > deadline) {
        const why = cause instanceof Error ? cause.message : String(cause);
        throw new RetryableError(
          'NATS_DECLARE_FAILED',
          transient
            ? `declaring ${what} on NATS did not succeed in ${attempt} attempts: ${why}`
            : `declaring ${what} on NATS failed: ${why}`,
          { cause },
        );
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, opts.maxDelayMs ?? 5_000);
    }
  }
}
