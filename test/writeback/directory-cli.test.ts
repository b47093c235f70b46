import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, migrate, openStore, type Store } from '../../core/mod.ts';
import { registerErrorHandler } from '../../dashboards/errors.ts';
import { CustomerDirectory } from '../../writeback/directory/directory.ts';
import { registerCustomerRoutes } from '../../writeback/directory/http.ts';
import { directoryMigrations } from '../../writeback/directory/migrations.ts';
import { UserDirectory } from '../../writeback/directory/users.ts';
import { spawnCli } from '../helpers/cli.ts';
import { repoRoot, tempDir } from '../helpers/env.ts';

const fixtures = path.join(repoRoot, 'test/writeback/fixtures');
const sample = path.join(fixtures, 'customers-sample.csv');
const mixed = path.join(fixtures, 'customers-mixed.ndjson');

/** Runs `dockside customers …` as a real process and waits for it. */
async function run(args: string[], env: Record<string, string>) {
  const cli = spawnCli(['customers', ...args], { LOG_LEVEL: 'silent', ...env });
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

describe('dockside customers (straight into embedded ClickHouse)', () => {
  const data = tempDir('customers-cli');
  const env = { DOCKSIDE_DATA_DIR: data.dir };
  afterAll(() => data.remove());

  it('imports a CSV file and shows a customer from it in a later process', async () => {
    const imp = await run(['import', sample, '--json'], env);
    expect(imp.stderr).toBe('');
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.stdout)).toMatchObject({ file: sample, imported: 3, rejects: [], warnings: [] });

    const got = await run(['get', 'CUST-101', '--json'], env);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({
      customerId: 'CUST-101',
      tier: 'tier1',
      region: 'us-midwest',
      hasContactEmail: true,
      source: 'file:customers-sample.csv',
    });
    expect(got.stdout).not.toContain('ops@example.com');

    const human = await run(['get', 'CUST-102'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^CUST-102 {2}tier2 {2}us-southeast\n/);
    expect(human.stdout).toContain('owner-ben');
  });

  it('--strict imports nothing when a line is rejected; without it the good lines go in; both exit 2', async () => {
    const strict = await run(['import', mixed, '--strict'], env);
    expect(strict.code).toBe(2);
    expect(strict.stdout).toContain('imported 0 customer(s)');
    expect(strict.stdout).toContain('--strict: nothing imported');
    expect(strict.stderr).toContain('rejected line 2: tier: got "gold", expected one of tier1, tier2, tier3');
    expect(strict.stderr).toContain('warning line 9: customerId');
    const absent = await run(['get', 'CUST-201'], env);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain('CUST-201');

    const lenient = await run(['import', mixed, '--json'], env);
    expect(lenient.code).toBe(2);
    const summary = JSON.parse(lenient.stdout);
    expect(summary.imported).toBe(1);
    expect(summary.rejects.map((r: { line: number }) => r.line)).toEqual([2, 3, 4, 5, 6, 8]);
    const present = await run(['get', 'CUST-201', '--json'], env);
    expect(JSON.parse(present.stdout)).toMatchObject({ ownerUserId: 'owner-ben', tier: 'tier2' });
  });

  it('bad arguments are usage errors (exit 2) naming the problem', async () => {
    const noUrl = await run(['import', sample, '--token', 'abc'], env);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('--token needs --url');
    const noFile = await run(['import', path.join(data.dir, 'missing.csv')], env);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('cannot read');
    const badFormat = await run(['import', sample, '--format', 'xml'], env);
    expect(badFormat.code).toBe(2);
  });
});

describe('dockside customers --url (through a running server)', () => {
  const data = tempDir('customers-cli-remote');
  let store: Store;
  let directory: CustomerDirectory;
  let app: FastifyInstance;
  let url: string;
  const authorizations: (string | undefined)[] = [];

  beforeAll(async () => {
    store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
    await migrate(store, 'dockside', directoryMigrations);
    directory = await CustomerDirectory.open(store, 'dockside', {
      refreshMs: 0,
      logger: createLogger({ logLevel: 'silent' }),
    });
    app = Fastify();
    registerErrorHandler(app, { bodyLimit: 1_048_576, routes: () => [] });
    app.addHook('onRequest', async (req) => {
      authorizations.push(req.headers.authorization);
    });
    registerCustomerRoutes(app, { directory, users: new UserDirectory(), actorOf: () => 'cli-user' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    directory?.stop();
    await app?.close();
    await store?.close();
    data.remove();
  });

  it('posts the file to POST /api/customers with the bearer token, and reads one back', async () => {
    const imp = await run(['import', sample, '--url', url, '--token', 'tok-123', '--json'], {
      DOCKSIDE_DATA_DIR: path.join(data.dir, 'unused'),
    });
    expect(imp.stderr).toBe('');
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.stdout)).toMatchObject({ imported: 3, target: url });
    expect(authorizations).toContain('Bearer tok-123');
    expect(directory.get('CUST-103')).toMatchObject({ tier: 'tier3', source: 'api:cli-user' });

    const got = await run(['get', 'CUST-103', '--url', url, '--json'], {});
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ customerId: 'CUST-103', region: 'us-west' });
    const missing = await run(['get', 'CUST-999', '--url', url], {});
    expect(missing.code).toBe(1);
  });

  it('with --strict the server imports nothing and the command exits 2 with the rejects', async () => {
    const imp = await run(['import', mixed, '--url', url, '--strict', '--json'], {});
    expect(imp.code).toBe(2);
    expect(JSON.parse(imp.stdout)).toMatchObject({ imported: 0 });
    expect(directory.get('CUST-201')).toBeUndefined();
  });
});
