import { connect } from '@nats-io/transport-node';
import { type CanonicalEvent, ensureStreams, loadConfig, publisherFor, streamNames } from '../../core/mod.ts';
import { EventPublisher } from '../../ingest/mod.ts';
import { mulberry32 } from './scenario.ts';

/**
 * A live feed at a fixed offered load (child process of the benchmark): shipments whose event time is the
 * wall clock, promisedShipBy set so the late_scan deadline falls 2 s after the commitment, 10% never
 * scanned (absences), 5% of picks short (event-triggered). argv: rate (events/s) and duration (s).
 */
const rate = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 20);
const config = loadConfig(process.env);
const nc = await connect({ servers: config.natsUrl, noAsyncTraces: true });
const names = streamNames(config.prefix);
await ensureStreams(nc, names, config);
const publisher = new EventPublisher(publisherFor(nc), names, config);
const rand = mulberry32(1);
const iso = (ms: number) => new Date(ms).toISOString();
let seq = 0;
const queue: CanonicalEvent[] = [];
const pending = new Set<Promise<unknown>>();
// One FIFO per follow-up kind: each is filled in time order, so nothing needs sorting on the hot loop.
const followUps: { at: number; e: () => CanonicalEvent }[][] = [[], [], [], []];

function shipment(now: number): void {
  const s = `L${process.pid}-${++seq}`;
  const base = { source: 'loadgen', schemaVersion: 1 as const };
  const late = rand() < 0.1;
  const short = rand() < 0.05;
  queue.push({
    ...base,
    id: `${s}:c`,
    type: 'shipment.committed',
    occurredAt: iso(now),
    shipmentId: s,
    customerId: `C${seq % 50}`,
    customerTier: 'tier2',
    warehouseId: `W${seq % 4}`,
    lane: 'A>B',
    promisedShipBy: iso(now + 2_000 - 3_600_000),
  });
  followUps[0]?.push({
    at: now + 300,
    e: () => ({
      ...base,
      id: `${s}:p`,
      type: 'wms.pick',
      occurredAt: iso(Date.now()),
      shipmentId: s,
      warehouseId: 'W',
      sku: 'K',
      qtyOrdered: 4,
      qtyPicked: short ? 1 : 4,
    }),
  });
  followUps[1]?.push({
    at: now + 600,
    e: () => ({
      ...base,
      id: `${s}:k`,
      type: 'wms.pack',
      occurredAt: iso(Date.now()),
      shipmentId: s,
      warehouseId: 'W',
    }),
  });
  if (!late)
    followUps[2]?.push({
      at: now + 900,
      e: () => ({
        ...base,
        id: `${s}:s`,
        type: 'wms.ship_scan',
        occurredAt: iso(Date.now()),
        shipmentId: s,
        warehouseId: 'W',
      }),
    });
  if (!late)
    followUps[3]?.push({
      at: now + 1_200,
      e: () => ({
        ...base,
        id: `${s}:d`,
        type: 'tms.status',
        occurredAt: iso(Date.now()),
        shipmentId: s,
        status: 'picked_up',
      }),
    });
}

const started = Date.now();
let sent = 0;
let carry = 0;
let last = started;
while (Date.now() - started < seconds * 1_000) {
  const now = Date.now();
  carry += ((now - last) / 1_000) * rate;
  last = now;
  while (carry >= 5) {
    shipment(now);
    carry -= 5;
  }
  for (const fifo of followUps) {
    let k = 0;
    while (k < fifo.length && (fifo[k]?.at ?? Number.POSITIVE_INFINITY) <= now) {
      const next = fifo[k++];
      if (next) queue.push(next.e());
    }
    fifo.splice(0, k);
  }
  for (const e of queue.splice(0)) {
    const p = publisher.publish(e).finally(() => pending.delete(p));
    pending.add(p);
    sent++;
  }
  if (pending.size > 20_000) await Promise.race(pending);
  await new Promise((r) => setTimeout(r, 5));
}
await Promise.allSettled([...pending]);
process.stdout.write(`${JSON.stringify({ sent, seconds: (Date.now() - started) / 1000 })}\n`);
await nc.close();
