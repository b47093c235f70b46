import { jetstream } from '@nats-io/jetstream';
import { Command } from 'commander';
import {
  connectNats,
  createLogger,
  createMetrics,
  ensureStreams,
  loadConfig,
  loadPolicy,
  streamNames,
} from '../../core/mod.ts';
import { startDetectorWorker } from '../../exceptions/mod.ts';

/**
 * `dockside detect`: only the partitioned exception detector (no HTTP, no sinks). Run several on one or
 * many machines: they share the partitions through NATS KV leases, and take over a dead one's partitions
 * (restoring its snapshots) once its leases expire. SIGTERM/SIGINT: final snapshots, leases released.
 */
export function detectCommand(): Command {
  return new Command('detect')
    .description(
      'run only the partitioned exception detector; several processes share the partitions through NATS KV leases',
    )
    .option(
      '--worker-id <id>',
      'stable worker identity: a restart with the same id takes its partitions back without waiting for the lease TTL',
    )
    .action(async (opts: { workerId?: string }) => {
      const config = loadConfig(process.env);
      const logger = createLogger(config);
      const policy = loadPolicy(config.policyFile);
      const nc = await connectNats(config, logger);
      const names = streamNames(config.prefix);
      const jsm = await ensureStreams(nc, names, config);
      const js = jetstream(nc);
      const worker = await startDetectorWorker({
        nc,
        js,
        jsm,
        names,
        config,
        policy,
        logger,
        metrics: createMetrics(),
        ...(opts.workerId ? { workerId: opts.workerId } : {}),
      });
      logger.info({ worker: worker.id, partitions: worker.partitions() }, 'detector worker started');
      void worker
        .caughtUp()
        .then(() =>
          logger.info(
            { worker: worker.id, partitions: worker.partitions(), ...worker.stats() },
            'detector caught up',
          ),
        );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await worker.stop();
      await nc.drain();
      logger.info({ worker: worker.id }, 'detector worker stopped');
      process.exit(0);
    });
}
