import { generateScenario } from '../../../bench/exceptions/scenario.ts';
import { type CanonicalEvent, type Config, loadPolicy, type Policy, partitionOf } from '../../../core/mod.ts';
import { replayLines } from '../../../exceptions/mod.ts';
import { templatePolicy } from '../../helpers/env.ts';
import { comparable } from './live.ts';

export const TEMPLATE_POLICY = templatePolicy;

/** The detector offline over `events`, partitioned and with the lateness of the live run it is compared to. */
export function replayOffline(
  events: readonly CanonicalEvent[],
  opts: { policy: Policy; partitions: number; allowedLatenessMs: number },
) {
  return replayLines(
    events.map((e) => JSON.stringify(e)),
    { ...opts, partitionOf },
  );
}

/** A scenario whose every partition ends with a far-future tick, and its undisturbed (offline) exception set. */
export async function undisturbedRun(
  config: Config,
  shipments: number,
  seed: number,
): Promise<{ events: CanonicalEvent[]; want: string[] }> {
  const events = generateScenario({
    shipments,
    seed,
    ticks: { partitions: config.partitions, partitionOf, afterMs: 30 * 86_400_000 },
  });
  const offline = await replayOffline(events, {
    policy: loadPolicy(config.policyFile),
    partitions: config.partitions,
    allowedLatenessMs: config.allowedLatenessMs,
  });
  return { events, want: comparable(offline.exceptions) };
}
