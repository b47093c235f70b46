import { createHash } from 'node:crypto';
import type { CanonicalEvent, DetectedException } from '../../core/mod.ts';
import { type DraftOptions, Facts, type Statement, shp, templateFor } from './draft-templates.ts';
import { DraftUnavailableError, UncitedStatementError } from './errors.ts';
import { addCounts, noRedactions, type RedactionCounts, redactRecord } from './redact.ts';

export type { DraftOptions, Statement } from './draft-templates.ts';

/**
 * Customer update drafts (WISMO deflection), pure. A draft is a few statements, each saying only what the
 * events it cites say, followed by a numbered list of those events. One template per exception type that
 * reaches customers; a generic one otherwise. The opening statement falls back to what the exception itself
 * says when the event behind it is missing: that statement has no citation, which the policy may forbid
 * (UncitedStatementError). Customer-facing text never names Dockside's internals (confidence, policy,
 * exception ids).
 */
export interface Source {
  readonly n: number;
  readonly eventId: string;
  readonly type: string;
  readonly occurredAt: string;
}

export interface CustomerUpdateDraft {
  readonly id: string;
  readonly exceptionId: string;
  readonly exceptionVersion: number;
  readonly customerId: string;
  readonly shipmentId?: string;
  readonly subject: string;
  readonly statements: Statement[];
  readonly sources: Source[];
  /** Statements with their markers ([1][2]) and the Sources list. */
  readonly text: string;
  readonly template: string;
  readonly createdAt: string;
  /** What redaction masked, by kind (log these, never the data). */
  readonly redactions: { readonly text: RedactionCounts; readonly inputs: RedactionCounts };
  /** What produced the draft (`logging.prompt_logging`), redacted when the policy says so. */
  readonly inputs: {
    readonly exception: DetectedException;
    readonly events: CanonicalEvent[];
    readonly template: string;
    readonly options: { readonly piiRedaction: boolean; readonly requireCitations: boolean };
  };
}

/** Deterministic: the same exception state always gives the same draft id. */
export function customerUpdateId(exceptionId: string, version: number): string {
  return `cu-${createHash('sha256').update(`${exceptionId}\u001f${version}`).digest('hex').slice(0, 20)}`;
}

/** The events a draft may use: the exception's evidence, and others given about the same shipment. */
function relevant(ex: DetectedException, events: readonly CanonicalEvent[]): CanonicalEvent[] {
  const evidence = new Set(ex.evidence);
  const seen = new Set<string>();
  return events.filter((e) => {
    if (seen.has(e.id)) return false;
    const mine =
      evidence.has(e.id) ||
      (ex.shipmentId !== undefined && 'shipmentId' in e && e.shipmentId === ex.shipmentId);
    if (mine) seen.add(e.id);
    return mine;
  });
}

/** Numbers cited events in the exception's evidence order; others after, by time. */
function numberSources(
  ex: DetectedException,
  events: readonly CanonicalEvent[],
  cited: ReadonlySet<string>,
): Source[] {
  const rank = new Map(ex.evidence.map((id, i) => [id, i]));
  return events
    .filter((e) => cited.has(e.id))
    .sort((a, b) => {
      const ra = rank.get(a.id) ?? Number.MAX_SAFE_INTEGER;
      const rb = rank.get(b.id) ?? Number.MAX_SAFE_INTEGER;
      return ra !== rb ? ra - rb : Date.parse(a.occurredAt) - Date.parse(b.occurredAt);
    })
    .map((e, i) => ({ n: i + 1, eventId: e.id, type: e.type, occurredAt: e.occurredAt }));
}

function render(statements: readonly Statement[], sources: readonly Source[]): string {
  const n = new Map(sources.map((s) => [s.eventId, s.n]));
  const body = statements
    .map((s) => {
      const marks = s.citations.map((id) => `[${n.get(id)}]`).join('');
      return marks ? `${s.text.replace(/\.$/, '')} ${marks}.` : s.text;
    })
    .join(' ');
  if (sources.length === 0) return body;
  return `${body}\n\nSources:\n${sources.map((s) => `[${s.n}] ${s.eventId}: ${s.type} at ${s.occurredAt}`).join('\n')}\n`;
}

const KEEP = [
  'id',
  'type',
  'occurredAt',
  'schemaVersion',
  'source',
  'correlationId',
  'evidence',
  'detectedAt',
  'version',
];

export function buildCustomerUpdate(
  ex: DetectedException,
  events: readonly CanonicalEvent[],
  opts: DraftOptions,
): CustomerUpdateDraft {
  if (!ex.customerId) {
    throw new DraftUnavailableError(
      'DRAFT_NO_CUSTOMER',
      ex.id,
      'the exception names no customer to write to',
    );
  }
  const own = relevant(ex, events);
  const { name: templateName, build } = templateFor(ex.type);
  const facts = new Facts(ex, own, opts);
  const statements = build(facts).filter((s): s is Statement => s !== undefined);
  const uncited = statements.find((s) => s.citations.length === 0);
  if (uncited && opts.requireCitations) throw new UncitedStatementError(ex.id, templateName, uncited.text);
  const sources = numberSources(ex, own, new Set(statements.flatMap((s) => s.citations)));
  const order = new Map(sources.map((s) => [s.eventId, s.n]));
  const ordered = statements.map((s) => ({
    text: s.text,
    citations: [...s.citations].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0)),
  }));
  const c = facts.last('shipment.committed');
  const subject = c?.orderId ? `Update on your order ${facts.t(c.orderId)}` : `Update on your ${shp(facts)}`;
  const inputsMasked = noRedactions();
  const redact = <T>(v: T): T => {
    if (!opts.piiRedaction) return v;
    const r = redactRecord(v, { keepKeys: KEEP });
    Object.assign(inputsMasked, addCounts(inputsMasked, r.masked));
    return r.value;
  };
  const inputs = {
    exception: redact(ex),
    events: own.map((e) => redact(e)),
    template: templateName,
    options: { piiRedaction: opts.piiRedaction, requireCitations: opts.requireCitations },
  };
  return {
    id: customerUpdateId(ex.id, ex.version),
    exceptionId: ex.id,
    exceptionVersion: ex.version,
    customerId: ex.customerId,
    ...(ex.shipmentId ? { shipmentId: ex.shipmentId } : {}),
    subject,
    statements: ordered,
    sources,
    text: render(ordered, sources),
    template: templateName,
    createdAt: opts.now,
    redactions: { text: { ...facts.masked }, inputs: inputsMasked },
    inputs,
  };
}
