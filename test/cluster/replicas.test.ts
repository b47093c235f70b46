import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Config,
  connectNats,
  createLogger,
  ensureStreams,
  loadConfig,
  streamNames,
} from '../../core/mod.ts';
import { detectorNames, ensureDetectorResources, LifecycleStore } from '../../exceptions/mod.ts';
import { auditNames, ensureAuditStream } from '../../writeback/audit/mod.ts';
import { writebackNames } from '../../writeback/mod.ts';
import { ensureWritebackResources } from '../../writeback/resources.ts';
import { uniquePrefix } from '../helpers/env.ts';
import { type NatsCluster, startNatsCluster } from '../helpers/nats-cluster.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * DOCKSIDE_REPLICAS=3 on a real 3-node JetStream cluster: every stream, KV bucket and object store that
 * Dockside declares is R3 (two followers besides the leader), placed by the configured tags, with the
 * configured limits; declaring again with other limits updates them in place.
 */
let cluster: NatsCluster;
let nc: NatsConnection;
let jsm: JetStreamManager;
let config: Config;
const MiB = 1024 * 1024;

beforeAll(async () => {
  cluster = await startNatsCluster('repl');
  config = loadConfig(
    {},
    {
      NATS_URL: cluster.url,
      DOCKSIDE_PREFIX: uniquePrefix('repl'),
      DOCKSIDE_REPLICAS: '3',
      DOCKSIDE_PLACEMENT_TAGS: 'dc:loopback',
      DOCKSIDE_INGEST_MAX_AGE_MS: '3600000',
      DOCKSIDE_INGEST_MAX_BYTES: String(32 * MiB),
      DOCKSIDE_EVENTS_MAX_BYTES: String(64 * MiB),
    },
  );
  nc = await connectNats(config, createLogger({ logLevel: 'silent' }));
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  await nc?.close();
  await cluster?.close();
});

describe('replicas and limits from config on a 3-node cluster', () => {
  it('makes every core, detector and write-back stream, bucket and object store R3 with its limits', async () => {
    const names = streamNames(config.prefix);
    await ensureStreams(nc, names, config);
    const js = jetstream(nc);
    await ensureDetectorResources(js, jsm, detectorNames(config.prefix, names), config);
    await ensureWritebackResources(js, jsm, writebackNames(config.prefix, names), config.prefix, config);
    await ensureAuditStream(jsm, auditNames(config.prefix), config, 90);
    // The exception lifecycle bucket is opened on the first read, as the API does.
    expect(
      await new LifecycleStore(js, LifecycleStore.bucketName(names), config).record('x'),
    ).toBeUndefined();

    const infos = [];
    for await (const info of jsm.streams.list()) infos.push(info);
    // 4 core + the detector stream, lease bucket and snapshot store + outbox + 7 write-back buckets (with the
    // incident notices) + audit + the exception lifecycle bucket.
    expect(infos.length).toBe(17);
    expect(infos.map((i) => i.config.name)).toContain(`KV_${LifecycleStore.bucketName(names)}`);
    for (const info of infos) {
      expect(info.config.num_replicas, info.config.name).toBe(3);
      expect(info.cluster?.replicas?.length, info.config.name).toBe(2);
      expect(info.config.placement?.tags, info.config.name).toEqual(['dc:loopback']);
    }
    const byName = new Map(infos.map((i) => [i.config.name, i.config]));
    const ingest = byName.get(names.ingestStream);
    expect(ingest?.max_age).toBe(3_600_000 * 1e6);
    expect(ingest?.max_bytes).toBe(32 * MiB);
    expect(ingest?.duplicate_window).toBe(120_000 * 1e6);
    expect(byName.get(names.eventsStream)?.max_bytes).toBe(64 * MiB);
    expect(byName.get(names.eventsStream)?.max_age).toBe(30 * 86_400_000 * 1e6);
    expect(byName.get(names.deadLetterStream)?.max_bytes).toBe(config.jetstream.limits.dlq.maxBytes);
    expect(byName.get(auditNames(config.prefix).stream)?.max_age).toBe(90 * 86_400_000 * 1e6);
    const leases = byName.get(`KV_${detectorNames(config.prefix, names).leaseBucket}`);
    expect(leases?.max_age).toBe(config.leaseTtlMs * 1e6);
    const notices = byName.get(`KV_${writebackNames(config.prefix, names).incidentNoticesBucket}`);
    expect(notices?.max_age).toBe(7 * 86_400_000 * 1e6);
  });

  it('declaring again with other limits and an R1 bucket updates them in place', async () => {
    // A stream just created through one server can be unknown to another for a moment (the cluster's
    // metadata is replicated): ask until it is there.
    const replicasOf = (stream: string) =>
      waitFor(`stream ${stream}`, () =>
        jsm.streams.info(stream).then(
          (i) => i.config.num_replicas,
          () => undefined,
        ),
      );
    const names = streamNames(config.prefix);
    const tighter = loadConfig({}, { ...rawOf(config), DOCKSIDE_EVENTS_MAX_AGE_MS: String(7 * 86_400_000) });
    await ensureStreams(nc, names, tighter);
    expect((await jsm.streams.info(names.eventsStream)).config.max_age).toBe(7 * 86_400_000 * 1e6);

    // A bucket made R1 before replicas were configured is brought to R3 by the next start.
    const wb = writebackNames(config.prefix, names);
    await jsm.streams.delete(`KV_${wb.draftsBucket}`);
    await new Kvm(jetstream(nc)).create(wb.draftsBucket, { history: 1 });
    expect(await replicasOf(`KV_${wb.draftsBucket}`)).toBe(1);
    await ensureWritebackResources(jetstream(nc), jsm, wb, config.prefix, config);
    expect(await replicasOf(`KV_${wb.draftsBucket}`)).toBe(3);

    // So is the exception lifecycle bucket, which the API opens lazily.
    const lifecycle = `KV_${LifecycleStore.bucketName(names)}`;
    await jsm.streams.delete(lifecycle);
    await new Kvm(jetstream(nc)).create(LifecycleStore.bucketName(names), { history: 1 });
    expect(await replicasOf(lifecycle)).toBe(1);
    await new LifecycleStore(jetstream(nc), LifecycleStore.bucketName(names), config).record('x');
    expect(await replicasOf(lifecycle)).toBe(3);
  });
});

describe('declaring on a fresh cluster from several processes at once', () => {
  it('succeeds for every one of six clients racing to create the same R3 streams, buckets and object store', async () => {
    // A fresh cluster, as under `docker compose --scale dockside=N`: without the retries a third to a half
    // of such races end in a JetStream API timeout on nats-server 2.9 (not every racing create is answered).
    const fresh = await startNatsCluster('race');
    const racing = loadConfig(
      {},
      { NATS_URL: fresh.url, DOCKSIDE_PREFIX: uniquePrefix('race'), DOCKSIDE_REPLICAS: '3' },
    );
    const names = streamNames(racing.prefix);
    const clients = await Promise.all(Array.from({ length: 6 }, () => fresh.client()));
    try {
      const declared = await Promise.allSettled(
        clients.map(async (c) => {
          await ensureStreams(c, names, racing);
          const jsm = await jetstreamManager(c);
          await ensureDetectorResources(jetstream(c), jsm, detectorNames(racing.prefix, names), racing);
          return jsm.streams.info(names.eventsStream);
        }),
      );
      expect(
        declared.map((d) => (d.status === 'fulfilled' ? d.value.config.num_replicas : String(d.reason))),
      ).toEqual(clients.map(() => 3));
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await fresh.close();
    }
  });
});

function rawOf(c: Config): Record<string, string> {
  return {
    NATS_URL: c.natsUrl,
    DOCKSIDE_PREFIX: c.prefix,
    DOCKSIDE_REPLICAS: String(c.jetstream.replicas),
    DOCKSIDE_PLACEMENT_TAGS: c.jetstream.placementTags.join(','),
  };
}
