import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Command, InvalidArgumentError } from 'commander';
import {
  connectNats,
  createLogger,
  type DeadLetter,
  deadLetterSchema,
  ensureStreams,
  loadConfig,
  publisherFor,
  streamNames,
} from '../core/mod.ts';
import { EventPublisher } from './publisher.ts';

interface Listed extends DeadLetter {
  seq: number;
}

/**
 * `dockside dead-letters [--source S] [--code C] [--replay] [--json]`: inspects the dead-letter stream
 * and, with --replay, re-submits each parked canonical event after a fix. An entry that now passes is
 * removed from the stream; one that still fails stays, with its new reason reported.
 */
export function deadLettersCommand(): Command {
  return new Command('dead-letters')
    .description('list what could not be taken (reason, source, raw input) and optionally re-submit it')
    .option(
      '--source <source>',
      'only entries from this source (e.g. http, nats:wms, file:orders.csv, detector)',
    )
    .option('--code <code>', 'only entries with this code (e.g. EVENT_INVALID)')
    .option(
      '--limit <n>',
      'list at most this many',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1)
          throw new InvalidArgumentError(`--limit: got ${JSON.stringify(v)}, expected a positive integer`);
        return n;
      },
      1_000,
    )
    .option('--replay', 're-submit the listed entries through the ingest pipeline')
    .option('--json', 'machine output: one JSON object')
    .action(
      async (opts: { source?: string; code?: string; limit: number; replay?: boolean; json?: boolean }) => {
        const config = loadConfig(process.env);
        const logger = createLogger({ logLevel: 'warn' });
        const nc = await connectNats(config, logger);
        try {
          const names = streamNames(config.prefix);
          await ensureStreams(nc, names, config);
          const entries = (await readAll(nc, names.deadLetterStream))
            .filter((e) => (!opts.source || e.source === opts.source) && (!opts.code || e.code === opts.code))
            .slice(0, opts.limit);
          const replayed = opts.replay ? await replay(nc, names, config, entries) : [];
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ entries, replayed })}\n`);
          } else {
            for (const e of entries)
              process.stdout.write(
                `#${e.seq} ${e.receivedAt} ${e.source} ${e.position ?? ''} ${e.code}: ${e.reason}\n`,
              );
            for (const r of replayed)
              process.stdout.write(`replay #${r.seq}: ${r.status}${r.reason ? ` (${r.reason})` : ''}\n`);
            process.stderr.write(
              `${entries.length} dead letter(s)${opts.replay ? `, ${replayed.filter((r) => r.status !== 'rejected' && r.status !== 'skipped').length} re-submitted` : ''}\n`,
            );
          }
        } finally {
          await nc.drain();
        }
      },
    );
}

async function readAll(nc: Awaited<ReturnType<typeof connectNats>>, stream: string): Promise<Listed[]> {
  const jsm = await jetstreamManager(nc);
  if ((await jsm.streams.info(stream)).state.messages === 0) return [];
  const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const out: Listed[] = [];
  const messages = await consumer.consume();
  for await (const msg of messages) {
    const parsed = deadLetterSchema.safeParse(msg.json());
    if (parsed.success) out.push({ ...parsed.data, seq: msg.seq });
    if (msg.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

type ReplayResult = {
  seq: number;
  status: 'accepted' | 'duplicate' | 'rejected' | 'skipped';
  reason?: string;
};

async function replay(
  nc: Awaited<ReturnType<typeof connectNats>>,
  names: ReturnType<typeof streamNames>,
  config: ReturnType<typeof loadConfig>,
  entries: Listed[],
): Promise<ReplayResult[]> {
  const jsm = await jetstreamManager(nc);
  const publisher = new EventPublisher(publisherFor(nc), names, config);
  const results: ReplayResult[] = [];
  for (const e of entries) {
    // `detector` (bad input) and `detector:<task>` (kept failing a task): the input is in a stream already.
    if (e.source === 'detector' || e.source.startsWith('detector:')) {
      // The event is in the events stream already; a detector restart re-reads it with the fixed code.
      results.push({
        seq: e.seq,
        status: 'skipped',
        reason: 'already in the events stream; restart the detector after the fix',
      });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(e.raw);
    } catch {
      results.push({
        seq: e.seq,
        status: 'skipped',
        reason: 'raw input is not a JSON event; fix the source file and import it again',
      });
      continue;
    }
    const r = await publisher.submit(value);
    if (r.status === 'rejected') {
      results.push({ seq: e.seq, status: 'rejected', reason: r.reason });
      continue;
    }
    await jsm.streams.deleteMessage(names.deadLetterStream, e.seq);
    results.push({ seq: e.seq, status: r.status });
  }
  return results;
}
