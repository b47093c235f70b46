import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { type Config, isNotFound } from '../../core/mod.ts';
import type { DetectorNames } from './names.ts';

const ns = (ms: number) => ms * 1_000_000;

/** Declares the detector stream, the lease bucket (TTL = lease TTL) and the snapshot object store. */
export async function ensureDetectorResources(
  js: JetStreamClient,
  jsm: JetStreamManager,
  names: DetectorNames,
  config: Pick<Config, 'prefix' | 'dedupeWindowMs' | 'leaseTtlMs'>,
): Promise<void> {
  const spec = {
    name: names.stream,
    subjects: [`${config.prefix}.detector.>`],
    duplicate_window: ns(config.dedupeWindowMs),
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    num_replicas: 1,
  };
  try {
    await jsm.streams.info(spec.name);
    await jsm.streams.update(spec.name, spec);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(spec);
  }
  // History 1 and a bucket-wide max age: an entry not renewed within the TTL disappears (NATS 2.9 has no per-key TTL).
  await new Kvm(js).create(names.leaseBucket, { history: 1, ttl: config.leaseTtlMs });
  await new Objm(js).create(names.snapshotBucket, { storage: StorageType.File });
}

/** Removes the detector's stream and buckets (tests, `reset`). */
export async function deleteDetectorResources(jsm: JetStreamManager, names: DetectorNames): Promise<void> {
  for (const stream of [names.stream, `KV_${names.leaseBucket}`, `OBJ_${names.snapshotBucket}`]) {
    try {
      await jsm.streams.delete(stream);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
