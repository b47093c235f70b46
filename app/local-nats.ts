import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigError } from '../core/mod.ts';

/** True when something accepts TCP connections at the first server of a NATS URL. */
export async function natsReachable(natsUrl: string, timeoutMs = 1_000): Promise<boolean> {
  const first = natsUrl.split(',')[0] ?? natsUrl;
  const u = new URL(first.replace(/^(nats|tls|ws|wss):/, 'http:'));
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 4222) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export const HOW_TO_GET_NATS = [
  'Dockside needs a NATS server with JetStream. Either:',
  '  - Debian/Ubuntu: sudo apt-get install nats-server   (then run `dockside demo` again; it starts one for you)',
  '  - macOS:         brew install nats-server',
  '  - Docker:        docker compose up -d nats          (see docker-compose.yml)',
  '  - or point NATS_URL at an existing server, e.g. NATS_URL=nats://nats.internal:4222',
].join('\n');

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface LocalNats {
  readonly url: string;
  stop(): Promise<void>;
}

/** The loopback port of a NATS URL, or undefined when it points at another host (then we never start a server). */
export function loopbackPort(natsUrl: string): number | undefined {
  const first = natsUrl.split(',')[0] ?? natsUrl;
  const u = new URL(first.replace(/^(nats|tls|ws|wss):/, 'http:'));
  return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) ? Number(u.port || 4222) : undefined;
}

/** Starts `nats-server -js` as a child on the given loopback port (0 = a free one), its store under the data dir. */
export async function startLocalNats(dataDir: string, wantedPort = 0): Promise<LocalNats> {
  const which = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  if (which.error || which.status !== 0) {
    throw new ConfigError(
      'NATS_URL',
      `no NATS server is reachable and no nats-server binary is on PATH.\n${HOW_TO_GET_NATS}`,
    );
  }
  const port = wantedPort || (await freePort());
  const storeDir = path.join(dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const child: ChildProcess = spawn(
    'nats-server',
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir],
    {
      stdio: 'ignore',
    },
  );
  const url = `nats://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await natsReachable(url, 200)); i++)
    await new Promise((r) => setTimeout(r, 100));
  if (!(await natsReachable(url, 500))) {
    child.kill('SIGKILL');
    throw new ConfigError(
      'NATS_URL',
      `started nats-server on port ${port}, but it did not accept connections`,
    );
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
