/** GET /api/ops (dashboards/ops.ts): the operations page's data. */
export type Status = 'ok' | 'warn' | 'bad';

export interface Health {
  readonly status: Status;
  readonly text: string;
}

export interface Consumer extends Health {
  readonly stream: string;
  readonly name: string;
  readonly filter: string | null;
  readonly pending: number;
  readonly ackPending: number;
  readonly redelivered: number;
  readonly deliveredSeq: number;
  readonly ackFloorSeq: number;
  readonly streamLastSeq: number;
}

export interface DeadLetterGroup {
  readonly source: string;
  readonly code: string;
  readonly count: number;
  readonly last24h: number;
  readonly lastAt: string;
  readonly link: string;
}

export interface PartitionSet extends Health {
  readonly name: 'detector' | 'writeback';
  readonly label: string;
  readonly bucket: string;
  readonly count: number;
  readonly owned: number;
  readonly owners: readonly { readonly partition: number; readonly owner: string | null }[];
  readonly workers: readonly { readonly id: string; readonly seenAt: string | null }[];
}

export interface ForecastRun {
  readonly runId: string;
  readonly createdAt: string;
  readonly measure: string;
  readonly origin: string;
  readonly horizon: number;
  readonly lanes: number;
  readonly served: string;
}

export interface OpsAnswer {
  readonly at: string;
  readonly status: Status;
  readonly components: readonly (Health & { readonly name: string; readonly label: string })[];
  readonly nats: Health & {
    readonly connected: boolean;
    readonly server: string | null;
    readonly serverName: string | null;
    readonly version: string | null;
    readonly jetstream: boolean;
    readonly rttMs: number | null;
  };
  readonly clickhouse: Health & {
    readonly ok: boolean;
    readonly pingMs: number | null;
    readonly mode: string;
    readonly target: string;
  };
  readonly consumers: readonly Consumer[];
  readonly consumersHealth: Health;
  readonly deadLetters: Health & {
    readonly total: number;
    readonly last24h: number;
    readonly link: string;
    readonly groups: readonly DeadLetterGroup[];
  };
  readonly partitions: readonly PartitionSet[];
  readonly forecast: Health & { readonly lastRun: ForecastRun | null; readonly intervalMs: number };
  readonly writeback: Health & {
    readonly outboxBacklog: number | null;
    readonly failedWrites: number | null;
    readonly heldWrites: number | null;
  };
}

/** GET /api/quality (ingest/quality-schema.ts): the parts the operations page shows. */
export interface FeedLine {
  readonly source: string;
  readonly deliveries: number;
  readonly pods: number;
  readonly state: 'sends' | 'none' | 'unknown';
  readonly declared: boolean;
  readonly missingPod: 'on' | 'off';
  readonly text: string;
}

export interface FindingGroup {
  readonly source: string;
  readonly code: string;
  readonly count: number;
  readonly latestEventId: string;
  readonly latestReason: string;
  readonly latestAt: string;
}

export interface BudgetLine {
  readonly type: string;
  readonly exceptions: number;
  readonly shipments: number;
  readonly per100: number | null;
}

export interface QualityAnswer {
  readonly findings: readonly FindingGroup[];
  readonly feeds: readonly FeedLine[];
  readonly alertBudget: {
    readonly window: { readonly from: string | null; readonly to: string | null };
    readonly bySource: readonly (BudgetLine & { readonly source: string })[];
    readonly byWarehouse: readonly (BudgetLine & { readonly warehouse: string })[];
  };
}
