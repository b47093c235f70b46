import type { Logger } from '../core/mod.ts';

/**
 * A graceful stop with a deadline. Stopping in order (HTTP, ingest, detector, sinks, drain) loses nothing,
 * but one part can wait on a NATS server that no longer answers; past `timeoutMs` the process ends
 * anyway, saying which part it was waiting for. Nothing is lost then either: what was not acknowledged is
 * redelivered to the next process, and ClickHouse inserts are deduplicated (as after a SIGKILL).
 */
export async function stopWithin(
  target: { stop(): Promise<void>; readonly stopStage: string | undefined },
  logger: Logger,
  timeoutMs: number,
): Promise<'stopped' | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([target.stop().then(() => 'stopped' as const), late]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    logger.error(
      { timeoutMs, waitingFor: target.stopStage ?? 'unknown' },
      `graceful stop did not finish within ${timeoutMs} ms (still stopping ${target.stopStage ?? 'an unknown part'}); exiting anyway, unacknowledged messages will be redelivered (DOCKSIDE_SHUTDOWN_TIMEOUT_MS)`,
    );
  }
  return outcome;
}
