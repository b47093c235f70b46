import { createHash } from 'node:crypto';
import { instantInOffset } from '../files/local-time.ts';
import { fieldError } from '../files/record.ts';
import { CBV_BIZ_STEPS, normalizeBizStep, type Target } from './biz-steps.ts';
import type { EpcisEvent } from './schema.ts';

/**
 * One EPCIS event → canonical candidates (usually one; one per quantity for picking).
 *
 * Identity: `epcis:<eventID>` (an eventID longer than the contract allows, or none, is replaced by a
 * SHA-256 of it / of the event without recordTime), so re-importing a document dedupes.
 * Error declarations: an event carrying `errorDeclaration` is, per EPCIS 2.0, the erroneous event
 * re-sent with a declaration. It maps to the same canonical event with id `<id>:error-declared` and
 * `retracts: <id>`, so a consumer that knows `retracts` drops the original and one that does not sees
 * a harmless repeat of the same fact. Corrective events named in `correctiveEventIDs` that appear in
 * the same document carry `supersedes: [<ids they correct>]`.
 */
export interface MappedCandidate {
  readonly candidate: Record<string, unknown>;
  readonly context: string;
  readonly suffix: string;
}

export interface DocumentFacts {
  /** corrective eventID → canonical ids of the events it corrects (from declarations in this document). */
  readonly supersedes: ReadonlyMap<string, readonly string[]>;
}

const MAX_ID = 256;

/** Business transaction types in the order they identify a shipment (see docs/ingest.md). */
const BIZ_TX_PRIORITY = ['po', 'desadv', 'bol', 'inv', 'prodorder', 'rma', 'poc', 'recadv', 'pedigree'];

export function canonicalId(event: EpcisEvent): string {
  const id = event.eventID;
  if (id !== undefined && id.length + 'epcis:'.length + ':error-declared:pick:9999'.length <= MAX_ID)
    return `epcis:${id}`;
  const basis = id ?? stableJson(withoutRecordTime(event));
  return `epcis:sha256:${createHash('sha256').update(basis).digest('hex')}`;
}

export function mapEpcisEvent(event: EpcisEvent, facts: DocumentFacts): MappedCandidate[] {
  const step = normalizeBizStep(event.bizStep);
  if (step.kind === 'custom') {
    throw fieldError(
      'EPCIS_UNMAPPED_BIZSTEP',
      'bizStep',
      step.uri,
      `a CBV 2.0 business step (${Object.keys(CBV_BIZ_STEPS).slice(0, 8).join(', ')}, …)`,
    );
  }
  const stepName = step.kind === 'cbv' ? step.name : undefined;
  const target: Target = stepName ? (CBV_BIZ_STEPS[stepName] ?? 'handling') : 'handling';
  const occurredAt = occurredAtOf(event);
  const location = event.bizLocation?.id ?? event.readPoint?.id;
  const shipment = shipmentOf(event, location);
  const base = canonicalId(event);
  const common = {
    occurredAt,
    source: 'epcis',
    shipmentId: shipment.value,
    shipmentIdFrom: shipment.from,
    epcis: details(event, stepName),
  };

  const outputs: MappedCandidate[] = [];
  const quantities = [...(event.quantityList ?? []), ...(event.childQuantityList ?? [])].filter(
    (q) => q.quantity !== undefined,
  );
  if (target === 'arrived' || target === 'departed' || target === 'exception') {
    outputs.push({
      suffix: '',
      context: `bizStep ${stepName ?? ''} → tms.status`,
      candidate: {
        ...common,
        type: 'tms.status',
        status: target,
        code: stepName,
        ...(location ? { location } : {}),
      },
    });
  } else if (target === 'pick' && quantities.length > 0) {
    const warehouseId = warehouseOf(location);
    quantities.forEach((q, i) => {
      outputs.push({
        suffix: `:pick:${i + 1}`,
        context: 'bizStep picking → wms.pick',
        // EPCIS carries no ordered quantity: ordered = picked, so EPCIS alone never claims a short pick.
        candidate: {
          ...common,
          type: 'wms.pick',
          warehouseId,
          sku: q.epcClass,
          qtyOrdered: q.quantity,
          qtyPicked: q.quantity,
          ...(q.uom ? { uom: q.uom } : {}),
        },
      });
    });
  } else {
    const type = target === 'ship' ? 'wms.ship_scan' : 'wms.pack';
    outputs.push({
      suffix: '',
      context: `bizStep ${stepName ?? '(none)'} → ${type}`,
      candidate: {
        ...common,
        type,
        warehouseId: warehouseOf(location),
        ...(target === 'handling' || target === 'pick' ? { handling: stepName ?? 'unspecified' } : {}),
      },
    });
  }

  const corrects = event.eventID ? facts.supersedes.get(event.eventID) : undefined;
  return outputs.map((o) => {
    const id = `${base}${o.suffix}`;
    const declaration = event.errorDeclaration;
    if (declaration) {
      return {
        ...o,
        candidate: {
          ...o.candidate,
          id: `${id}:error-declared`,
          retracts: id,
          declaredAt: declaration.declarationTime,
          errorDeclaration: {
            ...(declaration.reason ? { reason: declaration.reason } : {}),
            correctiveEventIDs: declaration.correctiveEventIDs ?? [],
          },
          correctedBy: (declaration.correctiveEventIDs ?? []).map((c) => `epcis:${c}`),
        },
      };
    }
    return { ...o, candidate: { ...o.candidate, id, ...(corrects ? { supersedes: corrects } : {}) } };
  });
}

/** eventTime is an instant; eventTimeZoneOffset is the offset of the place it happened: show it there. */
function occurredAtOf(event: EpcisEvent): string {
  const instant = Date.parse(event.eventTime);
  if (Number.isNaN(instant))
    throw fieldError('EPCIS_BAD_TIME', 'eventTime', event.eventTime, 'an RFC 3339 time');
  const off = event.eventTimeZoneOffset;
  const minutes = (off.startsWith('-') ? -1 : 1) * (Number(off.slice(1, 3)) * 60 + Number(off.slice(4, 6)));
  return instantInOffset(instant, minutes);
}

/**
 * The shipment an event is about, from the first that exists: a business transaction (by
 * BIZ_TX_PRIORITY, then document order), the parent (a logistic unit, e.g. an SSCC), the first EPC, the
 * first quantity class, and last the location itself (sensor readings about a place, not an object).
 */
function shipmentOf(event: EpcisEvent, location: string | undefined): { value: string; from: string } {
  const txs = (event.bizTransactionList ?? []).map((t) => ({
    type: bizTxType(t.type),
    id: t.bizTransaction,
  }));
  const ranked = [...txs].sort((a, b) => rank(a.type) - rank(b.type));
  const tx = ranked[0];
  if (tx) return { value: tx.id, from: `bizTransaction:${tx.type || 'untyped'}` };
  if (event.parentID) return { value: event.parentID, from: 'parentID' };
  const epc = [event.epcList, event.childEPCs, event.outputEPCList, event.inputEPCList].flatMap(
    (l) => l ?? [],
  )[0];
  if (epc) return { value: epc, from: 'epc' };
  const cls = [
    event.quantityList,
    event.childQuantityList,
    event.outputQuantityList,
    event.inputQuantityList,
  ].flatMap((l) => l ?? [])[0];
  if (cls) return { value: cls.epcClass, from: 'epcClass' };
  if (location) return { value: location, from: 'location' };
  throw fieldError(
    'EPCIS_NO_SUBJECT',
    'bizTransactionList',
    undefined,
    'a business transaction, parentID, EPC, quantity or location to identify what the event is about',
  );
}

function rank(type: string): number {
  const i = BIZ_TX_PRIORITY.indexOf(type);
  return i === -1 ? BIZ_TX_PRIORITY.length : i;
}

function bizTxType(type: string | undefined): string {
  if (!type) return '';
  const m = /(?:BTT-|btt:)([A-Za-z_]+)$/.exec(type);
  return m?.[1] ?? type;
}

/**
 * The warehouse is the site: an SGLN's extension names a spot inside it (a dock door, a shelf), so
 * `urn:epc:id:sgln:0614141.07346.1234` (read at door 1234) and `…07346.0` (the site) are one warehouse.
 */
function warehouseOf(location: string | undefined): string {
  if (!location) {
    throw fieldError(
      'EPCIS_NO_LOCATION',
      'bizLocation',
      undefined,
      'a bizLocation or readPoint id (the warehouse)',
    );
  }
  const sgln = /^(urn:epc:id:sgln:[^.]+\.[^.]*)\.[^.]+$/.exec(location);
  if (sgln) return `${sgln[1]}.0`;
  const link = /^(https?:\/\/[^/]+\/414\/\d+)\/254\/.+$/.exec(location);
  return link?.[1] ?? location;
}

/** The EPCIS facts kept on the canonical event (loose objects allow extra fields). */
function details(event: EpcisEvent, stepName: string | undefined): Record<string, unknown> {
  const keep = (k: string, v: unknown) => (v === undefined ? {} : { [k]: v });
  return {
    eventType: event.type,
    ...keep('eventID', event.eventID),
    ...keep('action', event.action),
    ...keep('bizStep', stepName ?? event.bizStep),
    ...keep('disposition', event.disposition),
    ...keep('readPoint', event.readPoint?.id),
    ...keep('bizLocation', event.bizLocation?.id),
    ...keep('eventTimeZoneOffset', event.eventTimeZoneOffset),
    ...keep(
      'bizTransactions',
      event.bizTransactionList?.map((t) => ({ type: bizTxType(t.type), id: t.bizTransaction })),
    ),
    ...keep('parentID', event.parentID),
    ...keep('epcList', event.epcList),
    ...keep('childEPCs', event.childEPCs),
    ...keep('inputEPCList', event.inputEPCList),
    ...keep('outputEPCList', event.outputEPCList),
    ...keep('quantityList', event.quantityList),
    ...keep('childQuantityList', event.childQuantityList),
    ...keep('inputQuantityList', event.inputQuantityList),
    ...keep('outputQuantityList', event.outputQuantityList),
    ...keep('sensorElementList', event.sensorElementList),
    ...keep('sourceList', event.sourceList),
    ...keep('destinationList', event.destinationList),
  };
}

function withoutRecordTime(event: EpcisEvent): Record<string, unknown> {
  const { recordTime: _recordTime, ...rest } = event;
  return rest;
}

/** JSON with sorted keys, so the hash of an event does not depend on its key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
