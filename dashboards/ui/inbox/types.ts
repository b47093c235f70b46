/** The approvals API as the inbox reads it (GET /api/approvals, /api/approvals/:id, /api/writebacks/:id). */
export type FieldValue = string | number | boolean | null;

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'withdrawn';
export type WriteStatus =
  | 'queued'
  | 'prepared'
  | 'applied'
  | 'failed'
  | 'held'
  | 'rolling_back'
  | 'rolled_back';

export interface Step {
  readonly role: string;
  readonly timeoutMinutes: number;
  readonly status: 'waiting' | 'pending' | 'approved' | 'rejected' | 'expired';
  readonly startedAt?: string;
  readonly deadline?: string;
  readonly escalated: boolean;
  readonly by?: { readonly userId: string; readonly name: string };
  readonly at?: string;
  readonly reason?: string;
}

export interface HistoryEntry {
  readonly at: string;
  readonly actor: string;
  readonly action:
    | 'created'
    | 'approved'
    | 'rejected'
    | 'escalated'
    | 'expired'
    | 'withdrawn'
    | 'write_enqueued';
  readonly step?: number;
  readonly reason?: string;
}

/** The write's state as approvals carry it. */
export interface WriteSummary {
  readonly id: string;
  readonly status: WriteStatus;
  readonly appliedAt: string | null;
  readonly rollbackClosesAt: string | null;
  readonly canRollBack: boolean;
  readonly previous: Readonly<Record<string, FieldValue>> | null;
  readonly failure?: string;
  readonly heldReason?: string;
  readonly rolledBackAt?: string;
  readonly rolledBackBy?: string;
}

export interface ApprovalItem {
  readonly id: string;
  readonly exceptionId: string;
  readonly exceptionType: string;
  readonly shipmentId?: string;
  readonly customerId: string;
  readonly customerTier?: string;
  readonly crmAccountId?: string;
  readonly region: string;
  readonly confidence: number;
  readonly evidence: readonly string[];
  readonly detectedAt: string;
  readonly fields: readonly { readonly name: string; readonly value: string | number | boolean }[];
  readonly writeId: string;
  readonly steps: readonly Step[];
  readonly current: number;
  readonly status: ApprovalStatus;
  readonly triggeredBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly history: readonly HistoryEntry[];
  readonly waitingFor: {
    readonly step: number;
    readonly role: string;
    readonly deadline: string | null;
    readonly escalated: boolean;
    readonly secondsLeft: number | null;
  } | null;
  readonly canDecide: boolean;
  readonly cannotDecide?: string;
  readonly write: WriteSummary | null;
}

export interface DraftView {
  readonly id: string;
  readonly status: 'awaiting_approval' | 'ready' | 'sent' | 'withdrawn' | 'held';
  readonly subject: string;
  readonly text: string;
  readonly statements: readonly { readonly text: string; readonly citations: readonly string[] }[];
  readonly sources: readonly {
    readonly n: number;
    readonly eventId: string;
    readonly type: string;
    readonly occurredAt: string;
  }[];
  readonly createdAt: string;
  readonly sentAt?: string;
  readonly heldReason?: string;
}

export interface ApprovalDetailView extends ApprovalItem {
  readonly currentValues: Readonly<Record<string, FieldValue>> | null;
  readonly currentValuesAt: string | null;
  readonly currentValuesError?: string;
  readonly draft: DraftView | null;
}

export interface ApprovalList {
  readonly items: readonly ApprovalItem[];
  readonly total: number;
}

/** GET /api/writebacks/:id (the fields the inbox uses). */
export interface WriteView extends Omit<WriteSummary, 'appliedAt' | 'previous'> {
  readonly appliedAt?: string;
  readonly previous?: Readonly<Record<string, FieldValue>>;
  readonly approvalId?: string;
  readonly customerId: string;
  readonly exceptionId: string;
  readonly fields: readonly { readonly name: string; readonly value: string | number | boolean }[];
  readonly attempts: readonly { readonly at: string; readonly outcome: string; readonly error?: string }[];
}

/** A full write as the summary the inbox shows. */
export function summaryOf(w: WriteView): WriteSummary {
  return {
    id: w.id,
    status: w.status,
    appliedAt: w.appliedAt ?? null,
    rollbackClosesAt: w.rollbackClosesAt,
    canRollBack: w.canRollBack,
    previous: w.previous ?? null,
    ...(w.failure ? { failure: w.failure } : {}),
    ...(w.heldReason ? { heldReason: w.heldReason } : {}),
    ...(w.rolledBackAt ? { rolledBackAt: w.rolledBackAt } : {}),
    ...(w.rolledBackBy ? { rolledBackBy: w.rolledBackBy } : {}),
  };
}

/** A write still on its way: the screen keeps polling it. */
export function writeInFlight(status: WriteStatus | undefined): boolean {
  return status === undefined || status === 'queued' || status === 'prepared' || status === 'rolling_back';
}
