import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import {
  ack,
  BatchWriter,
  type Config,
  consumeDurable,
  DeadLetterError,
  type DeadLetters,
  ensureDurable,
  type Logger,
  type Outcome,
  type Running,
  type Store,
} from '../../core/mod.ts';
import { parseBlock } from './block.ts';
import type { AuditEntry } from './entry.ts';
import type { AuditNames } from './names.ts';
import { type DecisionLogRow, toLogRow } from './rows.ts';

export interface AuditSinkDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly store: Store;
  readonly names: AuditNames;
  readonly config: Pick<Config, 'flushRows' | 'flushIntervalMs' | 'delivery'>;
  readonly logger: Logger;
  readonly deadLetters: DeadLetters;
  /**
   * Shadow-policy differences (`<prefix>.wbshadow.>`) share the stream but are not part of the log. Without
   * a hook they are acked and dropped here; with one, the message is acked once the hook resolves.
   */
  readonly onShadow?: (msg: JsMsg) => Promise<void> | void;
  /** After a block's entries are stored (metrics, live views). */
  readonly onStored?: (entries: readonly AuditEntry[]) => void;
}

/**
 * `<P>_AUDIT` → ClickHouse decision_log: each block becomes one row per entry, written in batches, and the
 * message is acked only after its rows are stored. A redelivered block rewrites the same (chain, seq) keys,
 * which ReplacingMergeTree keeps once. A message that is not a block of its subject's chain is terminated
 * and logged: its entries then show as a gap in `dockside audit verify`, never as silently missing.
 */
export async function startAuditSink(
  deps: AuditSinkDeps,
): Promise<Running & { writer: BatchWriter<DecisionLogRow> }> {
  const { names } = deps;
  await ensureDurable(deps.jsm, names.stream, names.sinkConsumer);
  const writer = new BatchWriter<DecisionLogRow>(deps.store, deps.store.table('decision_log'), {
    maxRows: deps.config.flushRows,
    intervalMs: deps.config.flushIntervalMs,
  });
  const handle = async (msg: JsMsg): Promise<Outcome> => {
    if (names.isShadow(msg.subject)) {
      await deps.onShadow?.(msg);
      return ack;
    }
    const chain = names.chainOf(msg.subject);
    if (!chain) {
      throw new DeadLetterError(
        'AUDIT_SUBJECT_UNKNOWN',
        `${names.stream} seq ${msg.seq}: ${msg.subject} is not a chain subject`,
      );
    }
    const block = parseBlock(names.stream, msg.seq, msg.string(), chain);
    if (block.entries.length > 0) {
      const storedAt = Date.now();
      await writer.write(
        block.entries.map((e) => toLogRow(e, storedAt)),
        `${names.stream}#${msg.seq}`,
      );
      deps.onStored?.(block.entries);
    }
    return ack;
  };
  const running = await consumeDurable(deps, names.stream, names.sinkConsumer, handle);
  return {
    writer,
    done: running.done,
    async stop() {
      await running.stop();
      await writer.close();
    },
  };
}
