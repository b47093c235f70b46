import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Config, Logger, Metrics, Policy, Running, StreamNames } from '../core/mod.ts';
import type { OnPublished } from './live/outputs.ts';
import { type DetectorWorker, startDetectorWorker } from './live/worker.ts';

export interface DetectorProcess extends Running {
  readonly worker: DetectorWorker;
}

/**
 * The detector inside a Dockside process: one worker that takes its share of the partitions through NATS
 * KV leases (all of them when it runs alone; `dockside detect` processes share them).
 */
export async function startDetectorProcess(deps: {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: StreamNames;
  config: Config;
  policy: Policy;
  logger: Logger;
  metrics: Metrics;
  workerId?: string;
  onPublished?: OnPublished;
}): Promise<DetectorProcess> {
  const worker = await startDetectorWorker(deps);
  return { worker, done: worker.done, stop: () => worker.stop() };
}
