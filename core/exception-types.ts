/**
 * The exception types the detector emits (GUIDE §4) and the numeric policy knobs each one reads as
 * `thresholds.<type>.<key>` (and, when `tiered`, as `thresholds.<type>.customer_tiers.<tier>.<key>`).
 * Kept in core so policy validation and `dockside policy check` need not import exceptions/; a test
 * (test/writeback/policy-report.test.ts) checks this table against the detector's `threshold(` calls.
 */
export const exceptionTypes = [
  'late_scan',
  'short_pick',
  'inventory_mismatch',
  'tender_rejected',
  'tender_unanswered',
  'missed_pickup',
  'late_delivery',
  'delivery_at_risk',
  'missing_pod',
  'excessive_dwell',
  'carrier_delay_reported',
  'wismo_spike',
  'scan_coverage_low',
] as const;

export type ExceptionType = (typeof exceptionTypes)[number];

export function isExceptionType(type: string): type is ExceptionType {
  return (exceptionTypes as readonly string[]).includes(type);
}

export interface DetectorKnob {
  readonly key: string;
  /** True when a `customer_tiers.<tier>.<key>` value wins for that tier. */
  readonly tiered: boolean;
  /** A ratio (0..1) rather than a count or a duration. */
  readonly ratio?: true;
  /** What the number changes, for `dockside policy check`. */
  readonly means: string;
}

export const detectorKnobs: Readonly<Record<ExceptionType, readonly DetectorKnob[]>> = {
  late_scan: [
    {
      key: 'minutes_past_sla',
      tiered: true,
      means:
        'minutes after promisedShipBy without a ship scan before a shipment is late (also the default settle time of scan_coverage_low)',
    },
  ],
  short_pick: [
    { key: 'min_short_units', tiered: true, means: 'units short (ordered − picked) that make a short pick' },
  ],
  inventory_mismatch: [
    { key: 'variance_units_min', tiered: false, means: 'abs(counted − system) units that make a mismatch' },
  ],
  tender_rejected: [],
  tender_unanswered: [
    { key: 'response_window_minutes', tiered: false, means: 'minutes a tendered carrier has to answer' },
  ],
  missed_pickup: [
    {
      key: 'pickup_window_minutes',
      tiered: true,
      means: 'minutes after promisedShipBy for a carrier pickup status',
    },
  ],
  late_delivery: [
    {
      key: 'grace_minutes',
      tiered: true,
      means: 'minutes after promisedDeliverBy before a delivery is late',
    },
  ],
  delivery_at_risk: [
    {
      key: 'eta_margin_minutes',
      tiered: true,
      means: 'minutes an ETA may pass promisedDeliverBy before it is a risk',
    },
  ],
  missing_pod: [
    { key: 'pod_window_hours', tiered: true, means: 'hours after delivery for a proof of delivery' },
  ],
  excessive_dwell: [
    {
      key: 'max_dwell_minutes',
      tiered: true,
      means: 'minutes between arrival and departure before dwell is excessive',
    },
  ],
  carrier_delay_reported: [],
  wismo_spike: [
    {
      key: 'rate_per_100_max',
      tiered: true,
      means:
        'WISMO contacts per 100 orders above which a customer spikes (default: KPI wismo_per_100_orders)',
    },
    { key: 'min_orders', tiered: true, means: 'orders a customer needs in the window before a spike counts' },
    { key: 'window_hours', tiered: false, means: 'length of the WISMO window in hours' },
  ],
  scan_coverage_low: [
    {
      key: 'required_scan_coverage_min',
      tiered: false,
      ratio: true,
      means: 'minimum share of due shipments scanned (overrides systems.wms.required_scan_coverage_min)',
    },
    {
      key: 'min_shipments',
      tiered: false,
      means: 'due shipments a warehouse needs in the window before the gate counts',
    },
    { key: 'window_hours', tiered: false, means: 'length of the coverage window in hours' },
    {
      key: 'settle_minutes',
      tiered: false,
      means: 'minutes after the window closes before coverage is decided',
    },
  ],
};

/** The knob `key` of `type`, if the detector reads one by that name. */
export function detectorKnob(type: ExceptionType, key: string): DetectorKnob | undefined {
  return detectorKnobs[type].find((k) => k.key === key);
}
