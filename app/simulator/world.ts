import type { customerTiers } from '../../core/mod.ts';
import { pick } from './random.ts';

/** A realistic small 3PL: warehouses in several regions, customers in three tiers, carriers, and the lanes between. */
export interface Warehouse {
  readonly id: string;
  readonly city: string;
  readonly region: string;
}
export interface Customer {
  readonly id: string;
  readonly tier: (typeof customerTiers)[number];
}

export const warehouses: readonly Warehouse[] = [
  { id: 'WH-ATL1', city: 'ATL', region: 'us-southeast' },
  { id: 'WH-MEM2', city: 'MEM', region: 'us-southeast' },
  { id: 'WH-CHI1', city: 'CHI', region: 'us-midwest' },
  { id: 'WH-IND3', city: 'IND', region: 'us-midwest' },
  { id: 'WH-DFW1', city: 'DFW', region: 'us-south' },
  { id: 'WH-RNO1', city: 'RNO', region: 'us-west' },
];

const destinations = ['NYC', 'BOS', 'MIA', 'DEN', 'SEA', 'LAX', 'PHX', 'MSP', 'DET', 'CLT', 'HOU', 'STL'];
export const carriers = ['UPSN', 'FDEG', 'ODFL', 'XPOL', 'SAIA', 'ESTES'];

/** Each warehouse serves a fixed subset of destinations: 6 × 8 = 48 lanes. */
export function lanesOf(w: Warehouse, rand: () => number): string[] {
  const shuffled = [...destinations].sort(() => rand() - 0.5);
  return shuffled.slice(0, 8).map((d) => `${w.city}>${d}`);
}

export function makeCustomers(rand: () => number, n = 40): Customer[] {
  return Array.from({ length: n }, (_, i) => {
    const r = rand();
    const tier = r < 0.2 ? 'tier1' : r < 0.6 ? 'tier2' : 'tier3';
    return { id: `CUST-${String(i + 1).padStart(3, '0')}`, tier };
  });
}

/**
 * The customers and each warehouse's lanes for a random stream: the live simulator and the demo's
 * backfilled history draw them the same way, so a seed gives both the same world.
 */
export function simulatedWorld(rand: () => number): {
  customers: Customer[];
  lanes: Map<string, string[]>;
} {
  const customers = makeCustomers(rand);
  const lanes = new Map(warehouses.map((w) => [w.id, lanesOf(w, rand)]));
  return { customers, lanes };
}

export const skus = Array.from({ length: 60 }, (_, i) => `SKU-${String(1000 + i * 7)}`);

export { pick };
