import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { tempDir } from './env.ts';
import { freePort } from './up.ts';
import { waitFor } from './wait.ts';

/**
 * Real `nats-server` processes for one test file: a single node with a config of the test's choosing
 * (credentials), or a JetStream cluster of N nodes on free loopback ports (routes, `server_name`, one store
 * directory each). A node can be SIGKILLed, stopped and restarted on the same ports and store.
 */
export class NatsNode {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log = '';

  constructor(
    readonly name: string,
    readonly port: number,
    readonly configFile: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Spawns the server; resolves once its client port accepts a connection (see `NatsCluster.ready` for JetStream). */
  async start(): Promise<void> {
    if (this.running) return;
    const proc = spawn('nats-server', ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-20_000);
    });
    this.proc = proc;
    this.exited = new Promise((r) => proc.once('exit', () => r()));
    await waitFor(`nats-server ${this.name} on ${this.port}`, async () => {
      if (proc.exitCode !== null)
        throw new Error(`nats-server ${this.name} exited: ${this.log.slice(-2000)}`);
      const nc = await connect({ servers: this.url, timeout: 500, reconnect: false, user: 'probe' }).catch(
        (err: Error) => (/authori[sz]ation/i.test(`${err.name} ${err.message}`) ? 'up' : undefined),
      );
      if (nc === 'up') return true;
      if (!nc) return undefined;
      await nc.close();
      return true;
    });
  }

  /** SIGKILL (a crash) or SIGTERM (a clean stop); resolves when the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.proc?.kill(signal);
    await this.exited;
  }

  async restart(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.stop(signal);
    await this.start();
  }

  /** The server's log so far (its stderr), for failure messages. */
  output(): string {
    return this.log;
  }
}

/** One nats-server with `extraConfig` (e.g. an `authorization { … }` block) and JetStream, on a free port. */
export async function startNatsServer(
  tag: string,
  extraConfig = '',
): Promise<NatsNode & { remove(): Promise<void> }> {
  const dir = tempDir(`nats-${tag}`);
  const port = await freePort();
  const file = path.join(dir.dir, 'server.conf');
  writeFileSync(
    file,
    `listen: 127.0.0.1:${port}\njetstream { store_dir: "${path.join(dir.dir, 'js')}" }\n${extraConfig}\n`,
  );
  const node = new NatsNode(tag, port, file);
  await node.start();
  return Object.assign(node, {
    async remove() {
      await node.stop('SIGKILL');
      dir.remove();
    },
  });
}

export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  /** `nats://…,nats://…,…`: every node, as NATS_URL lists them. */
  readonly url: string;
  /** Resolves when every running node answers JetStream API requests (a meta leader exists). */
  ready(timeoutMs?: number): Promise<void>;
  /** The node leading `stream` just now. */
  leaderOf(stream: string): Promise<NatsNode>;
  /** A client connection to the cluster (every node in its server list). */
  client(): Promise<NatsConnection>;
  /** Kills every node and removes their store directories. */
  close(): Promise<void>;
}

/** Starts an `size`-node JetStream cluster (each node tagged `node:<name>` and `dc:loopback`), and waits until it is ready. */
export async function startNatsCluster(tag: string, size = 3): Promise<NatsCluster> {
  const dir = tempDir(`natscluster-${tag}`);
  const clusterName = `c_${tag}`.replace(/[^A-Za-z0-9_]/g, '_');
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({ client: await freePort(), route: await freePort() })),
  );
  const routes = ports.map((p) => `nats-route://127.0.0.1:${p.route}`).join(', ');
  const nodes = ports.map((p, i) => {
    const name = `n${i + 1}`;
    const store = path.join(dir.dir, name);
    mkdirSync(store, { recursive: true });
    const file = path.join(dir.dir, `${name}.conf`);
    writeFileSync(
      file,
      [
        `server_name: ${name}`,
        `listen: 127.0.0.1:${p.client}`,
        `server_tags: ["node:${name}", "dc:loopback"]`,
        `jetstream { store_dir: "${store}" }`,
        `cluster { name: ${clusterName}, listen: 127.0.0.1:${p.route}, routes: [${routes}] }`,
        '',
      ].join('\n'),
    );
    return new NatsNode(name, p.client, file);
  });
  const url = nodes.map((n) => n.url).join(',');
  const cluster: NatsCluster = {
    nodes,
    url,
    async ready(timeoutMs = 30_000) {
      for (const node of nodes.filter((n) => n.running)) {
        await waitFor(
          `JetStream on ${node.name}`,
          async () => {
            const nc = await connect({ servers: node.url, timeout: 1_000, reconnect: false });
            try {
              const r = await nc.request('$JS.API.INFO', '', { timeout: 1_000 });
              return (r.json() as { error?: unknown }).error ? undefined : true;
            } finally {
              await nc.close();
            }
          },
          timeoutMs,
        );
      }
    },
    async leaderOf(stream) {
      const nc = await cluster.client();
      try {
        const jsm = await jetstreamManager(nc);
        const leader = (await jsm.streams.info(stream)).cluster?.leader;
        const node = nodes.find((n) => n.name === leader);
        if (!node) throw new Error(`stream ${stream} has no leader (${leader})`);
        return node;
      } finally {
        await nc.close();
      }
    },
    // Every node as its own entry: nats.js reads one comma-joined string as a single server.
    client: () =>
      connect({
        servers: nodes.map((n) => n.url),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        noAsyncTraces: true,
      }),
    async close() {
      for (const n of nodes) await n.stop('SIGKILL');
      dir.remove();
    },
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    await cluster.ready();
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}
