import {
  type JetStreamClient,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type Config, isNotFound } from '../core/mod.ts';
import type { WritebackNames } from './pipeline/names.ts';

const ns = (ms: number) => ms * 1_000_000;
/** Outbox commands are kept this long even after they ran (the record of what was sent and when). */
const OUTBOX_MAX_AGE_MS = 30 * 86_400_000;

export interface WritebackBuckets {
  readonly leases: KV;
  readonly approvals: KV;
  readonly writes: KV;
  readonly effects: KV;
  readonly drafts: KV;
  readonly sandbox: KV;
}

/** Declares the outbox stream and the write-back KV buckets (idempotent). */
export async function ensureWritebackResources(
  js: JetStreamClient,
  jsm: JetStreamManager,
  names: WritebackNames,
  prefix: string,
  config: Pick<Config, 'dedupeWindowMs' | 'leaseTtlMs'>,
): Promise<WritebackBuckets> {
  const spec = {
    name: names.outboxStream,
    subjects: [`${prefix}.outbox.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: ns(OUTBOX_MAX_AGE_MS),
    duplicate_window: ns(Math.min(config.dedupeWindowMs, OUTBOX_MAX_AGE_MS)),
    num_replicas: 1,
  };
  try {
    await jsm.streams.info(spec.name);
    await jsm.streams.update(spec.name, spec);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(spec);
  }
  const kvm = new Kvm(js);
  // History 1: a record's latest state is what matters; every transition is also in the decision log.
  const bucket = (name: string) => kvm.create(name, { history: 1, storage: StorageType.File });
  return {
    leases: await kvm.create(names.leaseBucket, { history: 1, ttl: config.leaseTtlMs }),
    approvals: await bucket(names.approvalsBucket),
    writes: await bucket(names.writesBucket),
    effects: await bucket(names.effectsBucket),
    drafts: await bucket(names.draftsBucket),
    sandbox: await bucket(names.sandboxBucket),
  };
}
