import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { RetryableError } from '../../core/mod.ts';

export const TASK_HEADER = 'Dockside-Task';
const MSG_ID_HEADER = 'Nats-Msg-Id';

/**
 * The message ids a task already published to a stream since `sinceMs`, read back from the stream itself
 * (headers only). A task restoring a snapshot older than the stream's duplicate window uses it to skip what
 * it already published after that snapshot, so exactly-once does not depend on the window's length.
 * Rejects with JOURNAL_STALLED when no message came for `stallMs` (a consumer stalled by a cluster
 * disruption): the task fails and restarts instead of hanging, and with it its partition, forever.
 */
export async function publishedSince(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  task: string,
  sinceMs: number,
  stallMs: number,
): Promise<Set<string>> {
  const ids = new Set<string>();
  const info = await jsm.streams.info(stream);
  if (info.state.messages === 0) return ids;
  const consumer = await js.consumers.get(stream, {
    headers_only: true,
    opt_start_time: new Date(Math.max(0, sinceMs)).toISOString(),
  });
  if ((await consumer.info(true)).num_pending === 0) return ids;
  const messages = await consumer.consume({ max_messages: 2_000 });
  let lastMs = Date.now();
  let complete = false;
  const watchdog = setInterval(
    () => {
      if (Date.now() - lastMs > stallMs) void messages.close();
    },
    Math.max(500, Math.floor(stallMs / 4)),
  );
  try {
    for await (const m of messages) {
      lastMs = Date.now();
      if (m.headers?.get(TASK_HEADER) === task) {
        const id = m.headers.get(MSG_ID_HEADER);
        if (id) ids.add(id);
      }
      if (m.info.pending === 0) {
        complete = true;
        break;
      }
    }
  } finally {
    clearInterval(watchdog);
    await messages.close();
  }
  if (!complete) {
    throw new RetryableError(
      'JOURNAL_STALLED',
      `reading what ${task} published to ${stream} received nothing for ${stallMs} ms`,
    );
  }
  return ids;
}
