import type { CanonicalEvent, DetectedException, EventType } from '../../core/mod.ts';
import { fmtDate, fmtTime } from './format.ts';
import { addCounts, noRedactions, redactPii } from './redact.ts';

/**
 * The templates of customer update drafts, one per exception type that reaches customers and a generic one.
 * Each statement says only what the events it cites say; the opening falls back to what the exception itself
 * says (no citation) when its event is missing. Pure.
 */
export interface Statement {
  /** Without citation markers. */
  readonly text: string;
  /** Event ids, in the order the Sources list numbers them. */
  readonly citations: string[];
}

export interface DraftOptions {
  /** safety.pii_redaction */
  readonly piiRedaction: boolean;
  /** safety.outbound_message_requires_citations */
  readonly requireCitations: boolean;
  /** RFC 3339; the draft's creation time, and the reference year for dates. */
  readonly now: string;
}

type Ev<K extends EventType> = Extract<CanonicalEvent, { type: K }>;
type Tms = Ev<'tms.status'>;
type Draftable = Statement | undefined;

/** What a template reads: the exception's events by type (time order) and text helpers that redact. */
export class Facts {
  readonly masked = noRedactions();
  constructor(
    readonly ex: DetectedException,
    readonly events: readonly CanonicalEvent[],
    readonly opts: DraftOptions,
  ) {}
  of<K extends EventType>(type: K): Ev<K>[] {
    return this.events
      .filter((e): e is Ev<K> => e.type === type)
      .sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
  }
  first<K extends EventType>(type: K): Ev<K> | undefined {
    return this.of(type)[0];
  }
  last<K extends EventType>(type: K): Ev<K> | undefined {
    return this.of(type).at(-1);
  }
  /** Text from an event on its way into the message: redacted when the policy says so. */
  t(s: string): string {
    if (!this.opts.piiRedaction) return s;
    const r = redactPii(s);
    Object.assign(this.masked, addCounts(this.masked, r.masked));
    return r.text;
  }
  when(iso: string): string {
    return fmtTime(iso, this.opts.now);
  }
  day(iso: string): string {
    return fmtDate(iso, this.opts.now);
  }
  /** "order ORD-1 (shipment SHP-9)", from the commitment when there is one, else the exception's shipment. */
  ref(): string {
    const c = this.last('shipment.committed');
    const shp = this.ex.shipmentId ?? c?.shipmentId;
    if (c?.orderId) return `order ${this.t(c.orderId)}${shp ? ` (shipment ${this.t(shp)})` : ''}`;
    return shp ? `shipment ${this.t(shp)}` : 'order';
  }
  /** A freeform note a carrier sent (an extra field the contract keeps), quoted. */
  note(e: CanonicalEvent): string {
    const v: unknown = 'notes' in e ? e.notes : undefined;
    return typeof v === 'string' && v.trim() !== '' ? ` (carrier note: "${this.t(v.trim())}")` : '';
  }
}

const st = (text: string, ...events: (CanonicalEvent | undefined)[]): Statement => ({
  text,
  citations: [...new Set(events.flatMap((e) => (e ? [e.id] : [])))],
});

/** From the exception alone (no event): the opening when its event is missing. */
const fromException = (text: string): Statement => ({ text, citations: [] });

function committedToShip(f: Facts, opening: string): Statement {
  const c = f.last('shipment.committed');
  if (!c) return fromException(opening);
  return st(
    `Your ${f.ref()} was committed to ship from warehouse ${f.t(c.warehouseId)} by ${f.when(c.promisedShipBy)}.`,
    c,
  );
}

function promisedDelivery(f: Facts, opening: string): Statement {
  const c = f.last('shipment.committed');
  if (!c?.promisedDeliverBy) return fromException(opening);
  return st(`Your ${f.ref()} was promised for delivery by ${f.when(c.promisedDeliverBy)}.`, c);
}

function status(f: Facts, s: Tms): Statement {
  const loc = s.location ? f.t(s.location) : undefined;
  const eta = s.eta ? f.day(s.eta) : undefined;
  const at = f.when(s.occurredAt);
  const note = f.note(s);
  switch (s.status) {
    case 'delayed':
      return st(
        `The carrier reported a delay${loc ? ` at ${loc}` : ''}${eta ? `; new estimated delivery ${eta}` : ''}${note}.`,
        s,
      );
    case 'exception':
      return st(
        `The carrier reported a problem in transit${loc ? ` at ${loc}` : ''}${eta ? `; new estimated delivery ${eta}` : ''}${note}.`,
        s,
      );
    case 'delivered':
      return st(`The carrier reported it delivered at ${at}${loc ? ` in ${loc}` : ''}.`, s);
    case 'picked_up':
      return st(`The carrier reported it picked up at ${at}${loc ? ` in ${loc}` : ''}.`, s);
    case 'departed':
      return st(
        `The carrier reported it departed${loc ? ` ${loc}` : ''} at ${at}${eta ? `; estimated delivery ${eta}` : ''}.`,
        s,
      );
    case 'arrived':
      return st(
        `The carrier reported it arrived${loc ? ` at ${loc}` : ''} at ${at}${eta ? `; estimated delivery ${eta}` : ''}.`,
        s,
      );
    case 'out_for_delivery':
      return st(
        `The carrier reported it out for delivery at ${at}${eta ? `; estimated delivery ${eta}` : ''}.`,
        s,
      );
  }
}

function warehouseStep(f: Facts): Draftable {
  const steps = [...f.of('wms.pick'), ...f.of('wms.pack')].sort(
    (a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt),
  );
  const last = steps.at(-1);
  if (!last) return undefined;
  return st(
    `It was ${last.type === 'wms.pack' ? 'packed' : 'picked'} at the warehouse at ${f.when(last.occurredAt)}.`,
    last,
  );
}

function cancelled(f: Facts): Draftable {
  const x = f.first('shipment.cancelled');
  if (!x) return undefined;
  return st(
    `The order was cancelled at ${f.when(x.occurredAt)}${x.reason ? ` (reason: "${f.t(x.reason)}")` : ''}.`,
    x,
  );
}

function delivered(f: Facts): Draftable {
  const d = f.of('tms.status').find((s) => s.status === 'delivered');
  return d ? status(f, d) : undefined;
}

export const shp = (f: Facts) => (f.ex.shipmentId ? `shipment ${f.t(f.ex.shipmentId)}` : 'order');

export type Template = (f: Facts) => Draftable[];

const templates: Readonly<Record<string, Template>> = {
  late_scan: (f) => {
    const c = f.last('shipment.committed');
    const scan = f.first('wms.ship_scan');
    const step = warehouseStep(f);
    const stepEvent = f.events.find((e) => e.id === step?.citations[0]);
    return [
      committedToShip(f, `Your ${shp(f)} has not left the warehouse as planned.`),
      step,
      scan
        ? st(`It was scanned out at warehouse ${f.t(scan.warehouseId)} at ${f.when(scan.occurredAt)}.`, scan)
        : c && !f.first('shipment.cancelled')
          ? st('No ship scan has been recorded at the warehouse since then.', c, stepEvent)
          : undefined,
      cancelled(f),
    ];
  },
  late_delivery: (f) => [
    promisedDelivery(f, `Your ${shp(f)} was delivered later than promised.`),
    delivered(f),
    (() => {
      const pod = f.first('tms.pod');
      return pod ? st(`Proof of delivery was received at ${f.when(pod.occurredAt)}.`, pod) : undefined;
    })(),
  ],
  delivery_at_risk: (f) => {
    const latest = f
      .of('tms.status')
      .filter((s) => s.eta !== undefined && s.status !== 'delivered')
      .at(-1);
    return [
      promisedDelivery(f, `Your ${shp(f)} may arrive later than promised.`),
      latest ? status(f, latest) : undefined,
      delivered(f),
      cancelled(f),
    ];
  },
  carrier_delay_reported: (f) => {
    const c = f.last('shipment.committed');
    const opening = `The carrier has reported a delay on your ${shp(f)}.`;
    const reports = f.of('tms.status').filter((s) => s.status === 'delayed' || s.status === 'exception');
    return [
      c?.promisedDeliverBy ? promisedDelivery(f, opening) : committedToShip(f, opening),
      ...reports.slice(-3).map((r) => status(f, r)),
      delivered(f),
    ];
  },
  missed_pickup: (f) => {
    const scan = f.first('wms.ship_scan');
    const pickup = f.of('tms.status').find((s) => s.status !== 'delayed' && s.status !== 'exception');
    return [
      committedToShip(f, `The carrier has not yet collected your ${shp(f)} from the warehouse.`),
      scan
        ? st(`It was scanned out at the warehouse at ${f.when(scan.occurredAt)}, ready for collection.`, scan)
        : undefined,
      pickup
        ? status(f, pickup)
        : scan
          ? st('No carrier pickup has been reported since then.', scan)
          : undefined,
    ];
  },
  short_pick: (f) => [
    committedToShip(f, `Part of your ${shp(f)} could not be picked at the warehouse.`),
    ...f
      .of('wms.pick')
      .filter((p) => p.qtyPicked < p.qtyOrdered)
      .map((p) =>
        st(`We could pick ${p.qtyPicked} of the ${p.qtyOrdered} units of item ${f.t(p.sku)} ordered.`, p),
      ),
  ],
  tender_rejected: (f) => [
    committedToShip(f, `A carrier declined to carry your ${shp(f)}.`),
    ...f
      .of('tms.tender_response')
      .map((r) =>
        r.accepted
          ? st(`Carrier ${f.t(r.carrierId)} accepted the booking at ${f.when(r.occurredAt)}.`, r)
          : st(
              `Carrier ${f.t(r.carrierId)} declined the booking at ${f.when(r.occurredAt)}${r.reason ? ` (reason: "${f.t(r.reason)}")` : ''}.`,
              r,
            ),
      ),
  ],
};

const generic: Template = (f) => {
  const scan = f.first('wms.ship_scan');
  const pod = f.first('tms.pod');
  return [
    committedToShip(f, `There is an update on your ${shp(f)}.`),
    warehouseStep(f),
    scan ? st(`It was scanned out at the warehouse at ${f.when(scan.occurredAt)}.`, scan) : undefined,
    ...f
      .of('tms.status')
      .slice(-3)
      .map((s) => status(f, s)),
    pod ? st(`Proof of delivery was received at ${f.when(pod.occurredAt)}.`, pod) : undefined,
    cancelled(f),
  ];
};

/** The template for an exception type, and its name as recorded in the draft's inputs. */
export function templateFor(type: string): { readonly name: string; readonly build: Template } {
  const build = Object.hasOwn(templates, type) ? templates[type] : undefined;
  return build ? { name: `${type}.v1`, build } : { name: 'generic.v1', build: generic };
}
