import type { Logger } from '../../core/mod.ts';
import { countExceptionsByType } from '../../exceptions/mod.ts';
import type { Dockside } from '../runtime.ts';
import { createSimulator, type SimulatorOptions, type SimulatorStats } from '../simulator/simulator.ts';

const TICK_MS = 50;

/** Drives the simulator on the wall clock and publishes through the same pipeline as every other source. */
export function runSimulator(
  dockside: Dockside,
  opts: { rate: number; seed: number; logger: Logger; stall?: SimulatorOptions['stall'] },
) {
  const sim = createSimulator({
    rate: opts.rate,
    seed: opts.seed,
    runId: Date.now().toString(36),
    ...(opts.stall ? { stall: opts.stall } : {}),
  });
  let last = Date.now();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return; // never overlap: backpressure from JetStream slows the simulator down
    busy = true;
    const now = Date.now();
    const events = sim.step(now, now - last);
    last = now;
    Promise.all(events.map((e) => dockside.publisher.publish(e)))
      .catch((err: unknown) => opts.logger.error({ err }, 'simulator publish failed'))
      .finally(() => {
        busy = false;
      });
  }, TICK_MS);
  return {
    async stop(): Promise<SimulatorStats> {
      clearInterval(timer);
      while (busy) await new Promise((r) => setTimeout(r, 10));
      return { ...sim.stats };
    },
    countByType: () => countExceptionsByType(dockside.store),
  };
}
