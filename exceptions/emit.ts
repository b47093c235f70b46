import { type DetectedException, exceptionId, lifecycleVersion } from '../core/mod.ts';
import type { Published } from './facts.ts';
import type { ExceptionDraft } from './types.ts';

/**
 * Turns a rule's draft into a published exception state, at most once per content.
 *
 * version = rank(open 1 | resolved 3)·1e13 + revision, where revision is the number of evidence events
 * (or the aggregate's partial revisions). Rules only change content when evidence grows, so every new
 * content has a higher version, a repeated evaluation (duplicate event, replay) yields nothing new, and the
 * final version does not depend on the order the evidence arrived in. A person's assign/resolve carries
 * rank 2/3 plus a wall-clock time (≫ any revision), so it wins in ReplacingMergeTree(version).
 */
export class RuleContractError extends Error {
  override readonly name = 'RuleContractError';
}

export function emitIfNewer(
  published: Published,
  draft: ExceptionDraft,
  nowMs: number,
  strict: boolean,
): DetectedException | undefined {
  const key = publishedKey(draft.type, draft.idParts);
  const status = draft.resolved ? 'resolved' : 'open';
  // Most evaluations re-derive what was already published: decide that before building anything.
  const version = lifecycleVersion(status, draft.revision ?? distinctCount(draft.evidence));
  const prev = published[key];
  if (prev && prev[0] >= version) {
    // The content hash is only needed to store with a new version, or to check a rule in strict mode.
    if (strict && prev[0] === version && prev[2] !== contentHash(draft, [...new Set(draft.evidence)])) {
      throw new RuleContractError(
        `${draft.type}: content of ${key} changed at version ${version} without new evidence`,
      );
    }
    return undefined;
  }
  const evidence = [...new Set(draft.evidence)];
  const detectedAtMs = prev ? prev[1] : nowMs;
  published[key] = [version, detectedAtMs, contentHash(draft, evidence)];
  return materialize(exceptionId(draft.type, ...draft.idParts), draft, evidence, version, detectedAtMs);
}

function materialize(
  id: string,
  d: ExceptionDraft,
  evidence: string[],
  version: number,
  detectedAtMs: number,
): DetectedException {
  return {
    id,
    type: d.type,
    status: d.resolved ? 'resolved' : 'open',
    severity: d.severity,
    confidence: Math.min(1, Math.max(0, d.confidence)),
    detectedAt: new Date(detectedAtMs).toISOString(),
    occurredAt: new Date(d.occurredAtMs).toISOString(),
    evidence,
    ...(d.shipmentId !== undefined ? { shipmentId: d.shipmentId } : {}),
    ...(d.warehouseId !== undefined ? { warehouseId: d.warehouseId } : {}),
    ...(d.customerId !== undefined ? { customerId: d.customerId } : {}),
    ...(d.customerTier !== undefined ? { customerTier: d.customerTier } : {}),
    ...(d.lane !== undefined ? { lane: d.lane } : {}),
    ...(d.carrierId !== undefined ? { carrierId: d.carrierId } : {}),
    ...(d.sku !== undefined ? { sku: d.sku } : {}),
    details: { ...detailsOf(d) },
    ...(d.resolved
      ? { resolvedAt: new Date(d.resolved.atMs).toISOString(), resolution: d.resolved.reason }
      : {}),
    version,
  };
}

function detailsOf(d: ExceptionDraft): Record<string, unknown> | undefined {
  return typeof d.details === 'function' ? d.details() : d.details;
}

/** The number of distinct ids (what `new Set(ids).size` gives), without allocating for the usual few. */
function distinctCount(ids: readonly string[]): number {
  if (ids.length > 16) return new Set(ids).size;
  let n = 0;
  outer: for (let i = 0; i < ids.length; i++) {
    for (let j = 0; j < i; j++) if (ids[j] === ids[i]) continue outer;
    n++;
  }
  return n;
}

/**
 * The key under which a subject remembers what it published: the id's parts, unhashed (the sha-256 id
 * is only computed when something is published, which keeps evaluation cheap).
 */
export function publishedKey(type: string, idParts: readonly (string | number)[]): string {
  return `${type}\u001f${idParts.join('\u001f')}`;
}

/** FNV-1a over the draft's content: detects a rule that changed content without growing its evidence. */
function contentHash(d: ExceptionDraft, evidence: readonly string[]): number {
  const text = JSON.stringify([
    d.severity,
    d.confidence,
    d.occurredAtMs,
    evidence,
    d.shipmentId,
    d.warehouseId,
    d.customerId,
    d.customerTier,
    d.lane,
    d.sku,
    detailsOf(d),
    d.resolved,
  ]);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
