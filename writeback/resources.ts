import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { type Config, ensureKv, ensureStream, limitedStreamSpec, type SpecConfig } from '../core/mod.ts';
import type { WritebackNames } from './pipeline/names.ts';

export interface WritebackBuckets {
  readonly leases: KV;
  readonly approvals: KV;
  readonly writes: KV;
  readonly effects: KV;
  readonly drafts: KV;
  readonly sandbox: KV;
  readonly incidentNotices: KV;
}

/**
 * Declares the outbox stream (kept DOCKSIDE_OUTBOX_MAX_AGE_MS after the commands ran: the record of what was
 * sent and when) and the write-back KV buckets (idempotent).
 */
export async function ensureWritebackResources(
  js: JetStreamClient,
  jsm: JetStreamManager,
  names: WritebackNames,
  prefix: string,
  config: Pick<Config, 'leaseTtlMs'> & SpecConfig,
): Promise<WritebackBuckets> {
  await ensureStream(jsm, limitedStreamSpec(config, 'outbox', names.outboxStream, [`${prefix}.outbox.>`]));
  // History 1: a record's latest state is what matters; every transition is also in the decision log.
  const bucket = (name: string) => ensureKv(js, jsm, config, name);
  return {
    leases: await ensureKv(js, jsm, config, names.leaseBucket, { ttlMs: config.leaseTtlMs }),
    approvals: await bucket(names.approvalsBucket),
    writes: await bucket(names.writesBucket),
    effects: await bucket(names.effectsBucket),
    drafts: await bucket(names.draftsBucket),
    sandbox: await bucket(names.sandboxBucket),
    // An incident lasts hours to a day: a week covers it and its escalations, then the keys age out.
    incidentNotices: await ensureKv(js, jsm, config, names.incidentNoticesBucket, { ttlMs: 7 * 86_400_000 }),
  };
}
