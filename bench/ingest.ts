import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type CanonicalEvent,
  connectNats,
  createLogger,
  deleteStreams,
  ensureStreams,
  loadConfig,
  partitionKey,
  partitionOf,
  publisherFor,
  streamNames,
} from '../core/mod.ts';
import {
  convertFiles,
  convertFilesBatched,
  EventPublisher,
  IMPORT_WINDOW,
  importConverted,
  PublishWindow,
} from '../ingest/mod.ts';
import { writeNdjson, writeX12_214 } from './ingest-fixtures.ts';
import { writeResult } from './lib/results.ts';
import { median, peakRssMiB } from './lib/stats.ts';

/**
 * Import throughput into JetStream: the full `dockside import` path, called as the CLI calls it
 * (convertFilesBatched → importConverted: read → parse → validate → publish with Nats-Msg-Id, pipelined)
 * as a ratio over the fastest bare loop: the very same publisher (core/publisher.ts, the one every module
 * uses) publishing the same pre-serialised payloads to the same subjects, with the same in-flight window,
 * measured alternately in one run. (Not `js.publish`: its per-message timer and stack capture made a slow
 * reference that flattered the import.)
 * Usage: node bin/run-ts.js bench/ingest.ts [--events N] [--rounds R]  (defaults 100,000 and 9)
 */
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const N = arg('--events', 100_000);
const ROUNDS = arg('--rounds', 9);

const config = loadConfig(process.env, { LOG_LEVEL: 'warn' });
const logger = createLogger(config);
const dir = mkdtempSync(path.join(os.tmpdir(), 'dockside-bench-ingest-'));
const nc = await connectNats(config, logger);
const out = publisherFor(nc);
const convertOpts = { format: 'auto' as const, localZone: { kind: 'offset' as const, minutes: 0 } };

async function freshStreams(tag: string) {
  const names = streamNames(`bench_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 6)}`);
  await ensureStreams(nc, names, {
    ...config,
    prefix: names.eventsStream.replace(/_EVENTS$/, '').toLowerCase(),
  });
  return names;
}

/** What the reference publishes: each event's wire form, partition, type and id — nothing more. */
interface Payload {
  readonly partition: number;
  readonly type: string;
  readonly data: string;
  readonly id: string;
}

/**
 * The reference payloads, converted once. Only these stay in memory between rounds, not the events:
 * a heap full of event objects would make every garbage collection during the import mark them, a cost
 * of this harness that the import (which streams) does not have.
 */
async function referencePayloads(file: string): Promise<Payload[]> {
  const out: Payload[] = [];
  for await (const r of convertFiles([file], convertOpts)) {
    if (!r.ok) throw new Error(`bench input rejected at ${r.position}: ${r.reason}`);
    const e: CanonicalEvent = r.event;
    out.push({
      partition: partitionOf(partitionKey(e), config.partitions),
      type: e.type,
      data: JSON.stringify(e),
      id: e.id,
    });
  }
  return out;
}

/**
 * The reference: the same payloads, subjects and msg ids, published through the same window (the
 * importer's PublishWindow, so both refill a burst of acks in one synchronous run), nothing else.
 */
async function bare(payloads: readonly Payload[]): Promise<number> {
  const names = await freshStreams('bare');
  const subjects = payloads.map((p) => names.eventSubject(p.partition, p.type));
  const started = performance.now();
  const window = new PublishWindow(IMPORT_WINDOW);
  for (let i = 0; i < payloads.length; i++) {
    if (window.full) await window.room();
    const p = payloads[i] as Payload;
    window.track(out.publish(subjects[i] as string, p.data, { msgID: p.id }));
  }
  await window.drained();
  if (window.failure) throw window.failure.error;
  const secs = (performance.now() - started) / 1000;
  await deleteStreams(nc, names);
  return payloads.length / secs;
}

async function pipeline(file: string): Promise<number> {
  const names = await freshStreams('imp');
  const publisher = new EventPublisher(out, names, config);
  const started = performance.now();
  const summary = await importConverted(convertFilesBatched([file], convertOpts), publisher);
  const secs = (performance.now() - started) / 1000;
  await deleteStreams(nc, names);
  if (summary.rejected) throw new Error(`${summary.rejected} rejected in the bench input`);
  return summary.accepted / secs;
}

/**
 * Rounds are pairs: bare and import back to back, in alternating order so that a machine that speeds up
 * or slows down during the run (a shared 2-vCPU host drifts by ±20 % over a minute) does not favour
 * either side. The ratio is the median of the per-round ratios.
 */
async function measure(label: string, file: string) {
  const payloads = await referencePayloads(file);
  const bareRuns: number[] = [];
  const importRuns: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let b: number;
    let i: number;
    if (r % 2 === 0) {
      b = await bare(payloads);
      i = await pipeline(file);
    } else {
      i = await pipeline(file);
      b = await bare(payloads);
    }
    bareRuns.push(b);
    importRuns.push(i);
    ratios.push(i / b);
    process.stderr.write(
      `  ${label} round ${r + 1}/${ROUNDS}: bare ${b.toFixed(0)} ev/s, import ${i.toFixed(0)} ev/s, ratio ${(i / b).toFixed(2)}\n`,
    );
  }
  return {
    events: payloads.length,
    bareEventsPerSec: Math.round(median(bareRuns)),
    importEventsPerSec: Math.round(median(importRuns)),
    ratio: Number(median(ratios).toFixed(3)),
    roundRatios: ratios.map((x) => Number(x.toFixed(3))),
    bareRuns: bareRuns.map(Math.round),
    importRuns: importRuns.map(Math.round),
  };
}

try {
  const ndjson = path.join(dir, 'events.ndjson');
  writeNdjson(ndjson, N);
  const x12 = path.join(dir, 'status.edi');
  writeX12_214(x12, Math.ceil(N / 40), 20);
  const result = {
    target: { ratio: 0.7, reference: 'bare loop on the same JetStreamPublisher' },
    window: IMPORT_WINDOW,
    rounds: ROUNDS,
    ndjson: await measure('ndjson', ndjson),
    x12_214: await measure('x12', x12),
    peakRssMiB: Math.round(peakRssMiB()),
  };
  const file = writeResult('ingest', result);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\nwritten to ${file}\n`);
} finally {
  await nc.drain();
  rmSync(dir, { recursive: true, force: true });
}
