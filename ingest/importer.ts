import path from 'node:path';
import type { CanonicalEvent, DeadLetter } from '../core/mod.ts';
import type { Converted, Rejected } from './files/record.ts';
import { PublishWindow } from './publish-window.ts';
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
export const IMPORT_WINDOW = 256;

/**
 * Converted records → JetStream. Events publish with Nats-Msg-Id = event id, so re-importing a file
 * yields `duplicate`s and no new messages; rejections go to the dead-letter stream as
 * `file:<basename>` with their position, code, reason and raw text. Publishes are pipelined on the one
 * connection (sent in order, at most IMPORT_WINDOW unacknowledged); the first failure stops the import.
 *
 * `results` may yield records one by one or in batches (`convertFilesBatched`). With batches, every
 * publish the window has room for is issued without an await in between, so the NATS client writes
 * them to the socket in one go: one write per ack burst instead of one per event, which is where the
 * client spent most of its time.
 */
export async function importConverted(
  results: AsyncIterable<Converted | readonly Converted[]>,
  sink: ImportSink,
  hooks: ImportHooks = {},
): Promise<ImportSummary> {
  const summary: ImportSummary = { accepted: 0, duplicate: 0, rejected: 0, byType: {} };
  const window = new PublishWindow(IMPORT_WINDOW);
  const onResult = (type: string) => (res: SubmitResult) => {
    if (res.status === 'accepted') {
      summary.accepted++;
      summary.byType[type] = (summary.byType[type] ?? 0) + 1;
    } else if (res.status === 'duplicate') summary.duplicate++;
    else summary.rejected++;
  };

  read: for await (const item of results) {
    const batch: readonly Converted[] = isBatch(item) ? item : [item];
    for (const r of batch) {
      if (window.full) await window.room();
      if (window.failure) break read;
      if (r.ok) {
        window.track(sink.publish(r.event).then(onResult(r.event.type)));
      } else {
        summary.rejected++;
        await hooks.onRejected?.(r);
        window.track(
          sink.deadLetter({
            source: `file:${path.basename(r.file)}`,
            position: r.position,
            code: r.code,
            reason: r.reason,
            raw: r.raw,
          }),
        );
      }
      hooks.onProgress?.(summary);
    }
  }
  await window.drained();
  if (window.failure) throw window.failure.error;
  hooks.onProgress?.(summary);
  return summary;
}

function isBatch(item: Converted | readonly Converted[]): item is readonly Converted[] {
  return Array.isArray(item);
}
