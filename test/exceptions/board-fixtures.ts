import { type DetectedException, lifecycleVersion, publisherFor } from '../../core/mod.ts';
import { publishException } from '../../exceptions/publish.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { listenLocal } from '../helpers/up.ts';
import { TEMPLATE_POLICY } from '../helpers/writeback-world.ts';

/** What the board API tests (board-api, board-stream) share: a listening Dockside and exception states. */
export const run = Math.random().toString(36).slice(2, 8);
export const MIN = 60_000;
export const now = Date.now();

/** A whole Dockside with the template policy, listening on a local port, and its base URL. */
export async function startBoardDockside(tag: string): Promise<{ t: TestDockside; base: string }> {
  const t = await startTestDockside(tag, { POLICY_FILE: TEMPLATE_POLICY });
  return { t, base: await listenLocal(t) };
}

/** The dispatch lead's token (dispatch-dana, ops_dispatch_manager). */
export const danaToken = (t: TestDockside) =>
  t.auth.tokenFor(['ops_dispatch_manager'], { userId: 'dispatch-dana' });

let n = 0;
/** An exception state as the detector would publish it; ids unique to this run. */
export function exception(o: Partial<DetectedException> & { ageMin: number }): DetectedException {
  const { ageMin, ...rest } = o;
  const at = new Date(now - ageMin * MIN).toISOString();
  return {
    id: `${o.type ?? 'short_pick'}:${run}-${++n}`,
    type: 'short_pick',
    status: 'open',
    severity: 'medium',
    confidence: 0.9,
    detectedAt: at,
    occurredAt: at,
    evidence: [],
    warehouseId: `WH-A-${run}`,
    customerId: `C-1-${run}`,
    customerTier: 'tier2',
    lane: 'SP>RJ',
    details: { wmsActivitySeen: true },
    version: lifecycleVersion('open'),
    ...rest,
  };
}

/** Publishes exception states to the exceptions stream, in order, as the detector does. */
export async function publishAll(t: TestDockside, exs: readonly DetectedException[]): Promise<void> {
  const publisher = publisherFor(t.dockside.nc);
  for (const ex of exs) await publishException(publisher, t.dockside.names, t.dockside.config.partitions, ex);
}
