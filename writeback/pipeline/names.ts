import type { StreamNames } from '../../core/mod.ts';

/** JetStream names of the write-back pipeline (same prefix as the core streams, so test runs never collide). */
export interface WritebackNames {
  readonly outboxStream: string;
  readonly outboxSubject: (kind: OutboxKind) => string;
  readonly outboxConsumer: string;
  readonly dispatchConsumer: (partition: number) => string;
  readonly leaseBucket: string;
  readonly approvalsBucket: string;
  readonly writesBucket: string;
  readonly effectsBucket: string;
  readonly draftsBucket: string;
  readonly sandboxBucket: string;
  /** The first notice sent per (open incident, kind, recipients): the others are folded into it. */
  readonly incidentNoticesBucket: string;
}

export const outboxKinds = ['crm_write', 'crm_task', 'jira', 'notify', 'customer_update'] as const;
export type OutboxKind = (typeof outboxKinds)[number];

export function writebackNames(prefix: string, core: StreamNames): WritebackNames {
  const P = core.streamPrefix;
  return {
    outboxStream: `${P}_OUTBOX`,
    outboxSubject: (kind) => `${prefix}.outbox.${kind}`,
    outboxConsumer: core.consumer('wb_outbox'),
    dispatchConsumer: (p) => core.consumer(`wb_dispatch_${p}`),
    leaseBucket: core.kvBucket('wb_leases'),
    approvalsBucket: core.kvBucket('approvals'),
    writesBucket: core.kvBucket('writes'),
    effectsBucket: core.kvBucket('effects'),
    draftsBucket: core.kvBucket('drafts'),
    sandboxBucket: core.kvBucket('crm_sandbox'),
    incidentNoticesBucket: core.kvBucket('incident_notices'),
  };
}
