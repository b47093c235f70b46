import { Command, InvalidArgumentError } from 'commander';
import {
  type Config,
  ConfigError,
  createLogger,
  loadConfig,
  loadPolicy,
  type RawEnv,
} from '../../core/mod.ts';
import {
  HOW_TO_GET_NATS,
  type LocalNats,
  loopbackPort,
  natsReachable,
  startLocalNats,
} from '../local-nats.ts';
import { type Dockside, startDockside } from '../runtime.ts';
import { runSimulator } from './simulate.ts';

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${name}: got ${JSON.stringify(v)}, expected an integer ${min}..${max}`);
  return n;
};

/** Resolves on SIGINT/SIGTERM or when the runtime reports a failed component. */
function untilSignal(dockside: Dockside): Promise<'signal' | 'failed'> {
  return new Promise((resolve) => {
    const onSignal = () => resolve('signal');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    void dockside.failed.then(() => resolve('failed'));
  });
}

export function upCommand(): Command {
  return new Command('up')
    .description('run every part of Dockside in one process (ingest, detector, sinks, HTTP API and board)')
    .action(async () => {
      const config = loadConfig(process.env);
      const logger = createLogger(config);
      const dockside = await startDockside(config, { logger, policy: loadPolicy(config.policyFile) });
      logger.info({ url: dockside.url }, 'dockside is up');
      const why = await untilSignal(dockside);
      await dockside.stop();
      process.exit(why === 'signal' ? 0 : 1);
    });
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      '`up` plus a built-in simulator of a 3PL (warehouses, lanes, tiers, carriers) injecting late scans and short picks',
    )
    .option('--rate <events/s>', 'simulated events per second', int('--rate', 1, 100_000), 200)
    .option(
      '--duration <seconds>',
      'stop after this many seconds (default: run until Ctrl-C)',
      int('--duration', 1, 31_536_000),
    )
    .option(
      '--seed <n>',
      'random seed; the same seed yields the same shipments',
      int('--seed', 0, 2 ** 31),
      42,
    )
    .option('--port <n>', 'HTTP port (overrides PORT)', int('--port', 0, 65_535))
    .option('--json', 'print the final summary as JSON')
    .action(
      async (opts: { rate: number; duration?: number; seed: number; port?: number; json?: boolean }) => {
        // A short allowed lateness and idle advance suit the simulator's compressed clock.
        const overrides: Partial<RawEnv> = {
          DOCKSIDE_ALLOWED_LATENESS_MS: process.env.DOCKSIDE_ALLOWED_LATENESS_MS ?? '1000',
          DOCKSIDE_IDLE_ADVANCE_MS: process.env.DOCKSIDE_IDLE_ADVANCE_MS ?? '1000',
          ...(opts.port !== undefined ? { PORT: String(opts.port) } : {}),
        };
        let config: Config = loadConfig(process.env, overrides);
        const logger = createLogger(config);
        let localNats: LocalNats | undefined;
        if (!(await natsReachable(config.natsUrl))) {
          // A local URL that nothing answers: start nats-server there ourselves; a remote one is the user's to fix.
          const port = loopbackPort(config.natsUrl);
          if (port === undefined) {
            throw new ConfigError(
              'NATS_URL',
              `NATS_URL=${config.natsUrl} is not reachable.\n${HOW_TO_GET_NATS}`,
            );
          }
          localNats = await startLocalNats(config.dataDir, port);
          logger.info({ nats: localNats.url }, 'no NATS reachable: started a local nats-server');
          config = loadConfig(process.env, { ...overrides, NATS_URL: localNats.url });
        }
        const dockside = await startDockside(config, { logger, policy: loadPolicy(config.policyFile) });
        process.stderr.write(
          `\n  Dockside demo is running.\n  Exception board: ${dockside.url}/\n  API: ${dockside.url}/api/exceptions\n  Stop with Ctrl-C.\n\n`,
        );
        const sim = runSimulator(dockside, { rate: opts.rate, seed: opts.seed, logger });
        const timeout = opts.duration
          ? new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), (opts.duration ?? 0) * 1000))
          : new Promise<never>(() => undefined);
        const why = await Promise.race([untilSignal(dockside), timeout]);
        const stats = await sim.stop();
        await new Promise((r) => setTimeout(r, 500)); // let the last batch reach storage before the summary
        const summary = { ...stats, exceptionsByType: await sim.countByType(), url: dockside.url };
        await dockside.stop();
        await localNats?.stop();
        if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else process.stderr.write(`demo summary: ${JSON.stringify(summary, null, 2)}\n`);
        process.exit(why === 'failed' ? 1 : 0);
      },
    );
}
