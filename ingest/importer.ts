import path from 'node:path';
import type { CanonicalEvent, DeadLetter } from '../core/mod.ts';
import type { Converted, Rejected } from './files/record.ts';
import type { SubmitResult } from './publisher.ts';

/** What `import` needs from the publisher (EventPublisher satisfies it; tests may pass their own). */
export interface ImportSink {
  publish(event: CanonicalEvent): Promise<SubmitResult>;
  deadLetter(entry: Omit<DeadLetter, 'id' | 'receivedAt'>): Promise<DeadLetter>;
}

export interface ImportSummary {
  accepted: number;
  duplicate: number;
  rejected: number;
  byType: Record<string, number>;
}

export interface ImportHooks {
  readonly onRejected?: (r: Rejected) => void | Promise<void>;
  readonly onProgress?: (s: Readonly<ImportSummary>) => void;
}

/** Publishes in flight at once: enough to hide the ack round trip, few enough to keep order and memory tight. */
const WINDOW = 256;

/**
 * Converted records → JetStream. Events publish with Nats-Msg-Id = event id, so re-importing a file
 * yields `duplicate`s and no new messages; rejections go to the dead-letter stream as
 * `file:<basename>` with their position, code, reason and raw text. Publishes are pipelined on the one
 * connection (sent in order, acks awaited in a window); the first failure stops the import.
 */
export async function importConverted(
  results: AsyncIterable<Converted>,
  sink: ImportSink,
  hooks: ImportHooks = {},
): Promise<ImportSummary> {
  const summary: ImportSummary = { accepted: 0, duplicate: 0, rejected: 0, byType: {} };
  const inFlight: Promise<void>[] = [];
  let failure: { error: unknown } | undefined;
  const track = (p: Promise<void>) =>
    inFlight.push(
      p.catch((error: unknown) => {
        failure ??= { error };
      }),
    );

  for await (const r of results) {
    if (failure) break;
    if (r.ok) {
      track(
        sink.publish(r.event).then((res) => {
          if (res.status === 'accepted') {
            summary.accepted++;
            summary.byType[r.event.type] = (summary.byType[r.event.type] ?? 0) + 1;
          } else if (res.status === 'duplicate') summary.duplicate++;
          else summary.rejected++;
        }),
      );
    } else {
      summary.rejected++;
      await hooks.onRejected?.(r);
      track(
        sink
          .deadLetter({
            source: `file:${path.basename(r.file)}`,
            position: r.position,
            code: r.code,
            reason: r.reason,
            raw: r.raw,
          })
          .then(() => undefined),
      );
    }
    if (inFlight.length >= WINDOW) await inFlight.shift();
    hooks.onProgress?.(summary);
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  hooks.onProgress?.(summary);
  return summary;
}
