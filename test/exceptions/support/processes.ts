import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, natsReachable } from '../../../app/local-nats.ts';
import type { Config } from '../../../core/mod.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** The env a child `dockside` process needs to join the same run as `config`. */
export function envOf(
  config: Config,
  natsUrl: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NATS_URL: natsUrl,
    DOCKSIDE_PREFIX: config.prefix,
    DOCKSIDE_PARTITIONS: String(config.partitions),
    DOCKSIDE_ALLOWED_LATENESS_MS: String(config.allowedLatenessMs),
    DOCKSIDE_IDLE_ADVANCE_MS: String(config.idleAdvanceMs),
    DOCKSIDE_SNAPSHOT_INTERVAL_MS: String(config.snapshotIntervalMs),
    DOCKSIDE_LEASE_TTL_MS: String(config.leaseTtlMs),
    DOCKSIDE_DEDUPE_WINDOW_MS: String(config.dedupeWindowMs),
    DOCKSIDE_DATA_DIR: config.dataDir,
    ...(config.policyFile ? { POLICY_FILE: config.policyFile } : {}),
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export interface Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  /** stderr so far (pino JSON lines), for failure messages. */
  readonly log: () => string;
}

/** Starts `dockside detect` as a separate OS process (what the scale-out and kill -9 tests kill). */
export function startDetect(env: NodeJS.ProcessEnv, workerId: string): Child {
  const proc = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/dockside.js'), 'detect', '--worker-id', workerId],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  proc.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, exited, log: () => log };
}

export async function kill9(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGKILL');
  await child.exited;
}

export async function stopGracefully(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  await child.exited;
}

export { freePort };

/** Our own nats-server child (never the shared one): the restart test stops and starts it. */
export class OwnNats {
  private proc: ChildProcess | undefined;
  readonly storeDir = mkdtempSync(path.join(tmpdir(), 'dockside-exc-nats-'));
  constructor(readonly port: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.proc = spawn(
      'nats-server',
      ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir],
      {
        stdio: 'ignore',
      },
    );
    const end = Date.now() + 15_000;
    while (!(await natsReachable(`nats://127.0.0.1:${this.port}`, 200))) {
      if (Date.now() > end) throw new Error(`nats-server on ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  }
}
