import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import {
  type Config,
  ensureKv,
  ensureObjectStore,
  ensureStream,
  isNotFound,
  limitedStreamSpec,
  type SpecConfig,
} from '../../core/mod.ts';
import type { DetectorNames } from './names.ts';

/** Declares the detector stream, the lease bucket (TTL = lease TTL) and the snapshot object store. */
export async function ensureDetectorResources(
  js: JetStreamClient,
  jsm: JetStreamManager,
  names: DetectorNames,
  config: Pick<Config, 'prefix' | 'leaseTtlMs'> & SpecConfig,
): Promise<void> {
  await ensureStream(
    jsm,
    limitedStreamSpec(config, 'detector', names.stream, [`${config.prefix}.detector.>`]),
  );
  // History 1 and a bucket-wide max age: an entry not renewed within the TTL disappears (NATS 2.9 has no per-key TTL).
  await ensureKv(js, jsm, config, names.leaseBucket, { ttlMs: config.leaseTtlMs });
  await ensureObjectStore(js, jsm, config, names.snapshotBucket);
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
