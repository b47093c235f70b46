import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import {
  type Config,
  ConfigError,
  createLogger,
  devSecret,
  keySource,
  type Logger,
  loadConfig,
  type RawEnv,
} from '../../core/mod.ts';
import type { SigninUser } from '../../dashboards/mod.ts';
import {
  HOW_TO_GET_NATS,
  type LocalNats,
  loopbackPort,
  natsReachable,
  startLocalNats,
} from '../local-nats.ts';
import { type Dockside, startDockside } from '../runtime.ts';
import { stopWithin } from '../shutdown.ts';
import { carriers, warehouses } from '../simulator/world.ts';
import { BACKFILL_DAYS, type BackfillResult, backfillDemo } from './demo-backfill.ts';
import { freshStart } from './demo-fresh.ts';
import { DEMO_OWNER, DEMO_REVOPS, startDemoRevops } from './demo-revops.ts';
import { mintDemoTokens } from './demo-users.ts';
import { runSimulator } from './simulate.ts';

/** The shipped policy template: the demo runs under it so its roles (and demo tokens) mean something. */
const TEMPLATE_POLICY = fileURLToPath(
  new URL('../../policies/exception_to_crm_writeback.template.yaml', import.meta.url),
);
const DEMO_TOKEN_TTL = '12h';
const DEMO_CUSTOMERS = fileURLToPath(new URL('../simulator/directory/customers.ndjson', import.meta.url));
const DEMO_USERS = fileURLToPath(new URL('../simulator/directory/users.ndjson', import.meta.url));

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${name}: got ${JSON.stringify(v)}, expected an integer ${min}..${max}`);
  return n;
};

/** With auth on and no key configured, the development secret is used: say once where it is and how to sign in. */
function noteDevSecret(config: Config, logger: Logger): void {
  const auth = config.writeback.auth;
  if (!auth.enabled || keySource(auth) !== 'dev-secret') return;
  const { file } = devSecret(auth);
  logger.warn(
    { file },
    'no JWT key configured (DOCKSIDE_JWT_SECRET, DOCKSIDE_JWT_PUBLIC_KEY or DOCKSIDE_JWT_JWKS_FILE): tokens are checked with the development secret in this file; mint one with `dockside token --user you --role admin`',
  );
}

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
      noteDevSecret(config, logger);
      const dockside = await startDockside(config, { logger });
      logger.info({ url: dockside.url }, 'dockside is up');
      const why = await untilSignal(dockside);
      const stopped = await stopWithin(dockside, logger, config.shutdownTimeoutMs);
      process.exit(why === 'signal' && stopped === 'stopped' ? 0 : 1);
    });
}

/**
 * The simulator's clock is compressed (an SLA of hours falls due in seconds) and its 3PL is busy (~33 shipments
 * a second, 8 % late), so the demo groups incidents on its own scale: a burst is 10 of one cause within 10 s,
 * neighbours at most 20 s apart, an incident at most 2 min long. Measured on seed 42 over 2 minutes: 612
 * exceptions, 11 incidents, the bad afternoon one of them (24 of its 28 stalled shipments' late scans).
 */
const DEMO_INCIDENT_TIMES = { burstMs: 10_000, minMembers: 10, gapMs: 20_000, maxSpanMs: 120_000 } as const;

/** The first warehouse's first carrier stops scanning `afterS` seconds from now, for 20 s (0: never). */
function badAfternoon(afterS: number, nowMs: number) {
  if (afterS === 0) return undefined;
  const fromMs = nowMs + afterS * 1000;
  return {
    warehouseId: warehouses[0]?.id ?? '',
    carrierId: carriers[0] ?? '',
    fromMs,
    toMs: fromMs + 20_000,
  };
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
    .option(
      '--bad-afternoon <seconds>',
      'after this many seconds one carrier stops scanning at one warehouse for 20 s (the compressed clock’s 3 hours): an incident on the board; 0 = never',
      int('--bad-afternoon', 0, 31_536_000),
      40,
    )
    .option('--json', 'print the final summary as JSON')
    .option(
      '--fresh',
      'start from an empty data directory: remove the embedded store and the prefix’s NATS streams first (refused while a Dockside runs on them)',
    )
    .option(
      '--open',
      'no sign-in: every request acts as a local admin (DOCKSIDE_AUTH=off); for a laptop only',
    )
    .action(
      async (opts: {
        rate: number;
        duration?: number;
        seed: number;
        port?: number;
        badAfternoon: number;
        json?: boolean;
        open?: boolean;
        fresh?: boolean;
      }) => {
        // A short allowed lateness and idle advance suit the simulator's compressed clock.
        const overrides: Partial<RawEnv> = {
          DOCKSIDE_ALLOWED_LATENESS_MS: process.env.DOCKSIDE_ALLOWED_LATENESS_MS ?? '1000',
          DOCKSIDE_IDLE_ADVANCE_MS: process.env.DOCKSIDE_IDLE_ADVANCE_MS ?? '1000',
          POLICY_FILE: process.env.POLICY_FILE || TEMPLATE_POLICY,
          // The simulator's 40 customers and the demo people, so approvals reach someone.
          DOCKSIDE_CUSTOMERS_FILE: process.env.DOCKSIDE_CUSTOMERS_FILE || DEMO_CUSTOMERS,
          DOCKSIDE_USERS_FILE: process.env.DOCKSIDE_USERS_FILE || DEMO_USERS,
          ...(opts.port !== undefined ? { PORT: String(opts.port) } : {}),
          ...(opts.open ? { DOCKSIDE_AUTH: 'off' as const } : {}),
        };
        let config: Config = loadConfig(process.env, overrides);
        const logger = createLogger(config);
        if (opts.fresh) await freshStart(config, logger);
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
        const demoUsers = await demoSignins(config, logger);
        const dockside = await startDockside(config, {
          logger,
          sandboxCrm: true,
          ...(demoUsers ? { demoUsers } : {}),
          incidentTimes: DEMO_INCIDENT_TIMES,
        });
        process.stderr.write(demoBanner(dockside.url ?? '', config, demoUsers));
        const stall = badAfternoon(opts.badAfternoon, Date.now());
        if (stall)
          logger.info(
            stall,
            'demo: a carrier’s bad afternoon is scheduled (it stops scanning at one warehouse)',
          );
        const sim = runSimulator(dockside, {
          rate: opts.rate,
          seed: opts.seed,
          logger,
          ...(stall ? { stall } : {}),
        });
        const revops = await startDemoRevops(dockside, config, logger);
        // Months of simulated lane history and a forecast run right away, so the forecast desk has data.
        const history = backfillDemo(dockside.store, logger, { seed: opts.seed }).then(
          (r) => {
            dockside.forecastsStored();
            logger.info(
              { lanes: r.lanes, days: r.days, origin: r.today.origin, alerts: r.today.alerts.length },
              'demo: lane history backfilled and forecast',
            );
            return r;
          },
          (err: unknown) => {
            logger.error({ err }, 'demo: backfilling lane history failed; forecasts wait for the scheduler');
            return undefined;
          },
        );
        const timeout = opts.duration
          ? new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), (opts.duration ?? 0) * 1000))
          : new Promise<never>(() => undefined);
        const why = await Promise.race([untilSignal(dockside), timeout]);
        const stats = await sim.stop();
        await revops.stop();
        const backfill = await history;
        await new Promise((r) => setTimeout(r, 500)); // let the last batch reach storage before the summary
        const summary = {
          ...stats,
          exceptionsByType: await sim.countByType(),
          writeback: { ...writebackSummary(dockside), demoRevopsApproved: revops.approved() },
          forecasts: forecastSummary(backfill),
          url: dockside.url,
          auth: config.writeback.auth.enabled ? 'on' : 'off',
          signinUrl: `${dockside.url}/signin`,
          tokens: (demoUsers ?? []).map((u) => ({
            label: u.label,
            userId: u.principal.userId,
            name: u.principal.name,
            roles: u.principal.roles,
            signinUrl: signinLink(dockside.url ?? '', u.principal.userId),
            token: u.token,
          })),
        };
        const stopped = await stopWithin(dockside, logger, config.shutdownTimeoutMs);
        await localNats?.stop();
        if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else process.stderr.write(`demo summary: ${JSON.stringify(summary, null, 2)}\n`);
        process.exit(why === 'failed' || stopped === 'timeout' ? 1 : 0);
      },
    );
}

/** Demo tokens when auth is on and Dockside can sign (a secret or the dev secret; not with a public key). */
async function demoSignins(config: Config, logger: Logger): Promise<SigninUser[] | undefined> {
  const auth = config.writeback.auth;
  if (!auth.enabled) return undefined;
  const source = keySource(auth);
  if (source === 'public-key' || source === 'jwks') {
    logger.warn(
      'a public key is configured: the demo cannot mint tokens; sign in with your identity provider',
    );
    return undefined;
  }
  noteDevSecret(config, logger);
  return mintDemoTokens(auth, DEMO_TOKEN_TTL);
}

/** A link that signs the browser in as one demo user (the /signin page picks `user`). */
function signinLink(url: string, userId: string): string {
  return `${url}/signin?user=${encodeURIComponent(userId)}`;
}

/** The backfilled history and the forecast runs it fed (undefined when the backfill failed). */
function forecastSummary(r: BackfillResult | undefined) {
  if (!r) return undefined;
  return {
    lanes: r.lanes,
    historyDays: r.days,
    shipments: r.shipments,
    origin: r.today.origin,
    folds: r.today.folds,
    alerts: r.today.alerts.length,
  };
}

/** What the write-back did in the run: approvals by status and CRM writes by status (the sandbox CRM's). */
function writebackSummary(d: Dockside): {
  approvals: Record<string, number>;
  writes: Record<string, number>;
} {
  const count = (xs: readonly { status: string }[]) =>
    xs.reduce<Record<string, number>>((acc, x) => {
      acc[x.status] = (acc[x.status] ?? 0) + 1;
      return acc;
    }, {});
  const approvals = d.writeback.approvals.list({ limit: 100_000, offset: 0 }).items;
  return { approvals: count(approvals), writes: count(d.writeback.writes.values()) };
}

function demoBanner(url: string, config: Config, users: readonly SigninUser[] | undefined): string {
  const lines = [
    '',
    '  Dockside demo is running.',
    `  Exception board: ${url}/`,
    `  Forecast desk: ${url}/forecasts (${BACKFILL_DAYS} days of simulated lane history, forecast at start)`,
  ];
  if (!config.writeback.auth.enabled) {
    lines.push(
      '  AUTHENTICATION IS OFF (--open): every request acts as a local admin. Do not expose this port.',
      `  API: ${url}/api/exceptions`,
    );
  } else {
    lines.push(
      `  Sign in: ${url}/signin`,
      `  API: ${url}/api/exceptions (send "Authorization: Bearer <token>")`,
      `  Approvals: ${DEMO_REVOPS.name} (a simulated RevOps manager) approves the first step of every other approval of ${DEMO_OWNER}'s customers, so the account owner's inbox fills`,
    );
    if (users?.length) {
      lines.push(`  Demo users: a sign-in link each, and the token (valid ${DEMO_TOKEN_TTL}):`);
      for (const u of users) {
        lines.push(
          `    ${u.label} — ${u.principal.userId} (${u.principal.roles.join(', ')})`,
          `      ${u.token}`,
          `      sign in: ${signinLink(url, u.principal.userId)}`,
        );
      }
    }
  }
  lines.push('  Stop with Ctrl-C.', '', '');
  return lines.join('\n');
}
