import { z } from 'zod';
import { type DetectedException, fromChTime, queryRows, type Store } from '../core/mod.ts';

/**
 * What the exception board's detail pane reads beside an exception: the events behind it (ClickHouse
 * `events`, in event-time order, with where and when each arrived) and its write-back history (the
 * write-back module's `decision_log`, read by exception id).
 */

/** Evidence lists longer than this are cut (aggregate exceptions can rest on many events). */
export const MAX_EVIDENCE = 500;

export interface EvidenceEvent {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string;
  /** When the events stream stored it (arrival). */
  readonly receivedAt: string;
  readonly source: string;
  /** The event's own fields, without the envelope (id, type, occurredAt, source, schemaVersion). */
  readonly fields: Record<string, unknown>;
}

export interface Evidence {
  readonly exceptionId: string;
  readonly events: EvidenceEvent[];
  /** Evidence ids with no stored event (not yet stored, or never received). */
  readonly missing: string[];
  /** How many evidence ids were left out beyond MAX_EVIDENCE. */
  readonly truncated: number;
}

const ENVELOPE = new Set(['id', 'type', 'occurredAt', 'source', 'schemaVersion']);
const objectSchema = z.record(z.string(), z.unknown());
const iso = (t: string) => new Date(fromChTime(t)).toISOString();

function fieldsOf(payload: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return {};
  }
  const r = objectSchema.safeParse(parsed);
  if (!r.success) return {};
  return Object.fromEntries(Object.entries(r.data).filter(([k]) => !ENVELOPE.has(k)));
}

/** The events behind an exception in event-time order (then arrival, then id), and the ids not found. */
export async function evidenceOf(
  store: Store,
  ex: Pick<DetectedException, 'id' | 'evidence'>,
): Promise<Evidence> {
  const ids = [...new Set(ex.evidence)];
  const wanted = ids.slice(0, MAX_EVIDENCE);
  const rows = wanted.length
    ? await queryRows<{
        id: string;
        event_type: string;
        at: string;
        arrived: string;
        event_source: string;
        body: string;
      }>(
        store,
        `SELECT id, any(type) AS event_type, any(occurred_at) AS at, min(received_at) AS arrived,
                any(source) AS event_source, any(payload) AS body
         FROM ${store.table('events')} WHERE id IN {ids:Array(String)}
         GROUP BY id ORDER BY at, arrived, id`,
        { ids: wanted },
      )
    : [];
  const found = new Set(rows.map((r) => r.id));
  return {
    exceptionId: ex.id,
    events: rows.map((r) => ({
      id: r.id,
      type: r.event_type,
      occurredAt: iso(r.at),
      receivedAt: iso(r.arrived),
      source: r.event_source,
      fields: fieldsOf(r.body),
    })),
    missing: wanted.filter((id) => !found.has(id)),
    truncated: ids.length - wanted.length,
  };
}

const scalar = z.union([z.string(), z.number(), z.boolean()]);
/** A decision entry's details, read leniently: inert decisions keep only part of them. */
const decisionDetails = z.object({
  decision: z
    .object({
      outcome: z.string().optional(),
      reason: z.string().optional(),
      rule: z.string().optional(),
      confidence: z.number().optional(),
      confidenceMin: z.number().optional(),
      fields: z.array(z.object({ name: z.string(), value: scalar })).optional(),
      approvalSteps: z.array(z.object({ role: z.string(), timeoutMinutes: z.number() })).optional(),
      writeId: z.string().optional(),
    })
    .partial()
    .default({}),
});

export interface WritebackDecision {
  readonly at: string;
  readonly actor: string;
  readonly reasonCode: string;
  readonly reason: string;
  readonly outcome: string;
  readonly policyVersion: string;
  readonly rule?: string;
  readonly confidence?: number;
  readonly confidenceMin?: number;
  readonly fields: { name: string; value: string | number | boolean }[];
  readonly approvalSteps: { role: string; timeoutMinutes: number }[];
  readonly writeId?: string;
}

export interface WritebackLogLine {
  readonly at: string;
  readonly kind: string;
  readonly actor: string;
  readonly reasonCode: string;
  /** Approval, write or action id. */
  readonly ref: string;
}

export interface WritebackHistory {
  readonly exceptionId: string;
  /** Each decision on a state of the exception, oldest first (the last one is in force). */
  readonly decisions: WritebackDecision[];
  /** Every decision-log entry about the exception, oldest first (no free text: kinds, actors, codes). */
  readonly log: WritebackLogLine[];
}

interface LogRow {
  at: string;
  kind: string;
  actor: string;
  reason_code: string;
  policy_version: string;
  ref: string;
  decision_details: string;
}

function decisionOf(r: LogRow): WritebackDecision {
  let raw: unknown = {};
  try {
    raw = JSON.parse(r.decision_details || '{}');
  } catch {
    raw = {};
  }
  const d = decisionDetails.safeParse(raw).data?.decision ?? {};
  const writeId = d.writeId ?? (r.ref || undefined);
  return {
    at: iso(r.at),
    actor: r.actor,
    reasonCode: r.reason_code,
    reason: d.reason ?? '',
    outcome: d.outcome ?? '',
    policyVersion: r.policy_version,
    ...(d.rule ? { rule: d.rule } : {}),
    ...(d.confidence !== undefined ? { confidence: d.confidence } : {}),
    ...(d.confidenceMin !== undefined ? { confidenceMin: d.confidenceMin } : {}),
    fields: d.fields ?? [],
    approvalSteps: d.approvalSteps ?? [],
    ...(writeId ? { writeId } : {}),
  };
}

/** The write-back module's decision log about one exception (its table, read by exception id). */
export async function writebackHistoryOf(store: Store, exceptionId: string): Promise<WritebackHistory> {
  const rows = await queryRows<LogRow>(
    store,
    `SELECT at, kind, actor, reason_code, policy_version, ref,
            if(kind = 'decision', details, '') AS decision_details
     FROM ${store.table('decision_log')} FINAL WHERE exception_id = {id:String}
     ORDER BY at, chain, seq LIMIT 1000`,
    { id: exceptionId },
  );
  return {
    exceptionId,
    decisions: rows.filter((r) => r.kind === 'decision').map(decisionOf),
    log: rows.map((r) => ({
      at: iso(r.at),
      kind: r.kind,
      actor: r.actor,
      reasonCode: r.reason_code,
      ref: r.ref,
    })),
  };
}
