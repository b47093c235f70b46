import { generateScenario } from '../../../bench/exceptions/scenario.ts';
import { type CanonicalEvent, type Config, loadPolicy, partitionOf } from '../../../core/mod.ts';
import { replayLines } from '../../../exceptions/mod.ts';
import { templatePolicy } from '../../helpers/env.ts';
import { comparable } from './live.ts';

export const TEMPLATE_POLICY = templatePolicy;

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
  const offline = await replayLines(
    events.map((e) => JSON.stringify(e)),
    {
      policy: loadPolicy(config.policyFile),
      partitions: config.partitions,
      partitionOf,
      allowedLatenessMs: config.allowedLatenessMs,
    },
  );
  return { events, want: comparable(offline.exceptions) };
}
