import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, loopbackPort } from '../../app/local-nats.ts';
import { spawnCli } from '../helpers/cli.ts';
import { tempDir, uniquePrefix } from '../helpers/env.ts';
import { waitFor } from '../helpers/wait.ts';

const data = tempDir('lnats');
afterAll(() => data.remove());

describe('which NATS URLs the demo may start a server for', () => {
  it('only loopback ones, on their own port', () => {
    expect(loopbackPort('nats://127.0.0.1:14222')).toBe(14222);
    expect(loopbackPort('nats://localhost')).toBe(4222);
    expect(loopbackPort('nats://nats.internal:4222')).toBeUndefined();
    expect(loopbackPort('nats://10.1.2.3:4222,nats://127.0.0.1:4222')).toBeUndefined();
  });
});

describe('dockside demo without a reachable NATS', () => {
  it('starts a local nats-server child with JetStream when the binary is on PATH, and stops it on exit', async () => {
    const port = await freePort();
    const demo = spawnCli(['demo', '--port', '0', '--duration', '60', '--rate', '50'], {
      NATS_URL: `nats://127.0.0.1:${port}`,
      DOCKSIDE_PREFIX: uniquePrefix('lnats'),
      DOCKSIDE_DATA_DIR: data.dir,
      LOG_LEVEL: 'info',
    });
    const url = await waitFor(
      'the dashboard URL',
      () => demo.stderr().match(/Exception board: (http:\/\/\S+)\//)?.[1],
      30_000,
    );
    expect(demo.stderr()).toContain('started a local nats-server');
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    // The child server is gone with the demo: nothing listens on the port any more.
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    expect(open).toBe(false);
  });

  it('exits non-zero and says how to get NATS when no nats-server binary is on PATH', async () => {
    const port = await freePort();
    const nodeDir = path.dirname(process.execPath);
    const r = spawnSync(process.execPath, ['bin/dockside.js', 'demo', '--duration', '5'], {
      cwd: path.resolve(__dirname, '../..'),
      env: {
        PATH: nodeDir,
        NATS_URL: `nats://127.0.0.1:${port}`,
        DOCKSIDE_DATA_DIR: data.dir,
        LOG_LEVEL: 'silent',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no nats-server binary is on PATH');
    expect(r.stderr).toContain('apt-get install nats-server');
    expect(r.stderr).toContain('brew install nats-server');
    expect(r.stderr).toContain('docker compose');
    expect(r.stderr).toContain('NATS_URL');
  });
});
