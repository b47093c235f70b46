import { gzipSync } from 'node:zlib';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type ObjectStore, Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../../bench/exceptions/scenario.ts';
import { loadPolicy } from '../../core/mod.ts';
import { SnapshotCorruptError, SnapshotStore, type Stored } from '../../exceptions/live/snapshots.ts';
import { Detector } from '../../exceptions/mod.ts';
import { parseSnapshotRecord } from '../../exceptions/snapshot-cursor.ts';
import { connectTest } from './support/live.ts';
import { TEMPLATE_POLICY } from './support/runs.ts';

/** The snapshot store against a real NATS object store: format 2 streamed in and out, format 1 still read. */
const opts = {
  policy: loadPolicy(TEMPLATE_POLICY),
  allowedLatenessMs: 600_000,
  idleAdvanceMs: Number.POSITIVE_INFINITY,
  partition: 0,
};
const bucket = `t_exc_snap_${Math.random().toString(36).slice(2, 10)}`;
let nc: NatsConnection;
let os: ObjectStore;
let store: SnapshotStore;

beforeAll(async () => {
  nc = await connectTest();
  os = await new Objm(jetstream(nc)).create(bucket);
  store = new SnapshotStore(os);
});
afterAll(async () => {
  await (await jetstreamManager(nc)).streams.delete(`OBJ_${bucket}`).catch(() => undefined);
  await nc.close();
});

function loaded(): Detector {
  const d = new Detector(opts);
  for (const e of generateScenario({ shipments: 800, seed: 5 })) {
    d.onEvent(e, 0);
    d.advance(0);
  }
  return d;
}

async function restore(stored: Stored | undefined): Promise<Detector> {
  if (stored?.format !== 2) throw new Error('expected a format-2 snapshot');
  const d = new Detector(opts);
  for await (const r of stored.records) d.restoreRecord(parseSnapshotRecord(r), 0);
  return d;
}

const header = (seq: number) => ({ task: 'events-0', seq, worker: 'w1', takenAtMs: 1_000 });

describe('snapshot store', () => {
  it('streams a detector out and back (format 2) with its sequence, state and timers', async () => {
    const d = loaded();
    await store.write(header(42), d.openSnapshot(), Promise.resolve(), () => true);
    const stored = await store.get('events-0');
    expect(stored).toMatchObject({ format: 2, seq: 42, worker: 'w1', takenAtMs: 1_000 });
    const back = await restore(stored);
    expect(back.stats()).toEqual(d.stats());
    const plain = (x: Detector) => {
      const snap = JSON.parse(JSON.stringify(x.snapshot())) as ReturnType<Detector['snapshot']>;
      return { ...snap, timers: [...snap.timers].sort(([a], [b]) => (a < b ? -1 : 1)) };
    };
    expect(plain(back)).toEqual(plain(d));
  });

  it('keeps the previous snapshot when the outputs it covers fail to be stored, or the task gives up', async () => {
    const d = loaded();
    await store.write(header(7), d.openSnapshot(), Promise.resolve(), () => true);
    await expect(
      store.write(header(8), d.openSnapshot(), Promise.reject(new Error('publish failed')), () => true),
    ).rejects.toThrow();
    await expect(store.write(header(9), d.openSnapshot(), Promise.resolve(), () => false)).rejects.toThrow(
      /abandoned/,
    );
    expect((await store.get('events-0'))?.seq).toBe(7);
    expect((await os.info('events-0'))?.size).toBeGreaterThan(0);
  });

  it('still reads format 1 (one JSON document)', async () => {
    const state = loaded().snapshot();
    const doc = { v: 1, task: 'events-1', seq: 5, takenAtMs: 2_000, worker: 'w0', state };
    await os.putBlob({ name: 'events-1' }, gzipSync(JSON.stringify(doc)));
    const stored = await store.get('events-1');
    expect(stored).toMatchObject({ format: 1, seq: 5, worker: 'w0' });
    expect(stored?.format === 1 && JSON.stringify(stored.state)).toBe(JSON.stringify(state));
  });

  it('rejects a format-2 snapshot without its trailer (truncated)', async () => {
    const lines = `${JSON.stringify({ v: 2, ...header(3), task: 'events-2' })}\n["m",{}]\n`;
    await os.putBlob({ name: 'events-2' }, gzipSync(lines));
    const stored = await store.get('events-2');
    if (stored?.format !== 2) throw new Error('expected format 2');
    const read = async () => {
      for await (const _ of stored.records);
    };
    await expect(read()).rejects.toBeInstanceOf(SnapshotCorruptError);
  });
});
