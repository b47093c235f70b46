import type { Consumer } from '@nats-io/jetstream';

export interface ProgressWatch {
  readonly consumer: Pick<Consumer, 'info'>;
  readonly stallMs: number;
  /** Since when the reader has been waiting for its next message; undefined while it works (or stops). */
  readonly waitingSince: () => number | undefined;
  /** Called once per stall, with how long it waited and why it counts as stalled. */
  readonly onStall: (waitedMs: number, why: string) => unknown;
}

/**
 * A progress watchdog for a reader of an ordered consumer. The ordered consumer recovers from most cluster
 * disruptions itself, but not from all: a pull request lost while the stream's leader (or the R1 consumer's
 * node) moved leaves it waiting for messages the server will never send. When the reader has waited
 * `stallMs` while the server says messages are pending (or cannot say anything of the consumer), `onStall`
 * runs: the detector then closes the consumer and restarts the task from its snapshot (exactly-once as ever).
 */
export function watchProgress(w: ProgressWatch): NodeJS.Timeout {
  let checking = false;
  const timer = setInterval(
    () => {
      const since = w.waitingSince();
      if (checking || since === undefined || Date.now() - since < w.stallMs) return;
      checking = true;
      w.consumer
        .info()
        .then(
          (info) => (info.num_pending > 0 ? `${info.num_pending} messages pending` : undefined),
          (err: unknown) => `its consumer unreadable (${err instanceof Error ? err.message : String(err)})`,
        )
        .then((why) => {
          // Still waiting since the same moment: nothing arrived while the server was asked.
          if (why === undefined || w.waitingSince() !== since) return;
          return w.onStall(Date.now() - since, why);
        })
        .catch(() => undefined)
        .finally(() => {
          checking = false;
        });
    },
    Math.max(500, Math.floor(w.stallMs / 4)),
  );
  timer.unref();
  return timer;
}
