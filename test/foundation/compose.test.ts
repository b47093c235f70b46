import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { loadConfig } from '../../core/mod.ts';
import { repoRoot } from '../helpers/env.ts';

const service = z.looseObject({
  image: z.string().optional(),
  build: z.unknown().optional(),
  command: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  healthcheck: z.looseObject({ test: z.array(z.string()) }).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
  ports: z.array(z.string()).optional(),
  expose: z.array(z.string()).optional(),
  deploy: z.looseObject({ replicas: z.number().optional() }).optional(),
});
const compose = z.object({
  services: z.record(z.string(), service),
  volumes: z.record(z.string(), z.unknown()),
});

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
// `merge`: the cluster file shares service settings through YAML anchors and `<<` merge keys.
const load = (file: string) => compose.parse(parse(read(file), { merge: true }));

describe('docker-compose.yml', () => {
  const doc = load('docker-compose.yml');
  const { nats, clickhouse, dockside } = doc.services;

  it('runs NATS with JetStream on a named volume, with a health check', () => {
    expect(nats?.image).toMatch(/^nats:/);
    expect(nats?.command).toContain('-js');
    expect(nats?.volumes?.some((v) => v.startsWith('nats-data:'))).toBe(true);
    expect(nats?.healthcheck?.test.join(' ')).toContain('healthz');
    expect(doc.volumes).toHaveProperty('nats-data');
  });

  it('runs a ClickHouse server on a named volume, with a health check', () => {
    expect(clickhouse?.image).toMatch(/^clickhouse\/clickhouse-server/);
    expect(clickhouse?.volumes?.some((v) => v.startsWith('clickhouse-data:'))).toBe(true);
    expect(clickhouse?.healthcheck?.test.join(' ')).toContain('/ping');
    expect(doc.volumes).toHaveProperty('clickhouse-data');
  });

  it('builds Dockside from the repo and wires NATS_URL and CLICKHOUSE_URL to the services', () => {
    expect(dockside?.build).toBe('.');
    expect(dockside?.environment?.NATS_URL).toBe('nats://nats:4222');
    expect(dockside?.environment?.CLICKHOUSE_URL).toBe('http://clickhouse:8123');
    expect(dockside?.depends_on).toEqual({
      nats: { condition: 'service_healthy' },
      clickhouse: { condition: 'service_healthy' },
    });
    expect(dockside?.healthcheck?.test.join(' ')).toContain('/healthz');
    // Scaled processes verify the same tokens: the secret is required from the environment, never defaulted.
    expect(dockside?.environment?.DOCKSIDE_JWT_SECRET).toMatch(/^\$\{DOCKSIDE_JWT_SECRET:\?/);
    expect(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8')).toMatch(
      /ENTRYPOINT \["node", "bin\/dockside.js"\]/,
    );
  });
});

describe.each(['docker-compose.yml', 'docker-compose.cluster.yml'])('%s: exposure and secrets', (file) => {
  const doc = load(file);
  const infra = Object.entries(doc.services).filter(([name]) => /^(nats|clickhouse|keeper)/.test(name));

  it('publishes NATS, ClickHouse and Keeper on 127.0.0.1 only', () => {
    expect(infra.length).toBeGreaterThanOrEqual(2);
    for (const [name, svc] of infra) {
      for (const port of svc.ports ?? []) expect(port, `${name}: ${port}`).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it('has no literal password, secret or token: each is required from the environment', () => {
    const secrets = Object.entries(doc.services).flatMap(([name, svc]) =>
      Object.entries(svc.environment ?? {})
        .filter(([key]) => /PASSWORD|SECRET|TOKEN/.test(key))
        .map(([key, value]) => [`${name}.${key}`, value] as const),
    );
    expect(secrets.length).toBeGreaterThan(0);
    for (const [where, value] of secrets) expect(value, where).toMatch(/^\$\{[A-Z_]+:\?[^}]+\}$/);
  });
});

describe('docker-compose.cluster.yml', () => {
  const doc = load('docker-compose.cluster.yml');
  const { dockside, proxy, keeper } = doc.services;
  const env = dockside?.environment ?? {};
  const natsNodes = ['nats1', 'nats2', 'nats3'];

  it('runs 3 Dockside replicas with no host port, reached through one proxy port', () => {
    expect(dockside?.build).toBe('.');
    expect(dockside?.deploy?.replicas).toBe(3);
    expect(dockside?.ports).toBeUndefined();
    expect(dockside?.expose).toEqual([env.PORT]);
    expect(proxy?.ports).toEqual(['127.0.0.1:8080:8080']);
    const published = Object.entries(doc.services).filter(([, svc]) => svc.ports?.length);
    expect(published.map(([name]) => name).sort()).toEqual(['clickhouse1', 'nats1', 'proxy']);
    const conf = read('deploy/nginx/dockside.conf');
    expect(conf).toContain(`server dockside:${env.PORT} resolve;`);
    expect(conf).toContain('listen 8080;');
    expect(conf).toMatch(/proxy_buffering off;/);
    expect(env.DOCKSIDE_TRUST_PROXY).toBe('1');
  });

  it('configures Dockside for R3 streams on all three NATS nodes and for the ClickHouse cluster', () => {
    expect(env.DOCKSIDE_REPLICAS).toBe('3');
    expect(env.NATS_URL?.split(',')).toEqual(natsNodes.map((n) => `nats://${n}:4222`));
    expect(env.CLICKHOUSE_CLUSTER).toBe('dockside_cluster');
    expect(env.CLICKHOUSE_URL).toBe('http://clickhouse1:8123');
    expect(read('deploy/clickhouse/cluster.xml')).toContain(`<${env.CLICKHOUSE_CLUSTER}>`);
    // The config Dockside gets is valid as a whole.
    const resolved = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, v.startsWith('${') ? 'x'.repeat(40) : v]),
    );
    const config = loadConfig(resolved);
    expect(config.clickhouse).toMatchObject({ mode: 'server', cluster: 'dockside_cluster' });
    expect(config.jetstream.replicas).toBe(3);
  });

  it('clusters the NATS nodes: each named, each routing to the other two', () => {
    for (const node of natsNodes) {
      const cmd = doc.services[node]?.command ?? [];
      expect(cmd).toContain('-js');
      expect(cmd[cmd.indexOf('--name') + 1]).toBe(node);
      expect(cmd[cmd.indexOf('--cluster_name') + 1]).toBe('dockside');
      const routes = cmd[cmd.indexOf('--routes') + 1]?.split(',');
      expect(routes?.sort()).toEqual(natsNodes.filter((n) => n !== node).map((n) => `nats://${n}:6222`));
      expect(doc.services[node]?.volumes?.[0]).toBe(`${node}-data:/data`);
    }
  });

  it('runs two ClickHouse replicas of one shard on Keeper, with their own macros and the password from the environment', () => {
    expect(keeper?.image).toMatch(/^clickhouse\/clickhouse-keeper:/);
    expect(keeper?.volumes).toContain(
      './deploy/clickhouse/keeper.xml:/etc/clickhouse-keeper/keeper_config.xml:ro',
    );
    const cluster = read('deploy/clickhouse/cluster.xml');
    expect(cluster).toMatch(/<zookeeper>\s*<node>\s*<host>keeper<\/host>\s*<port>9181<\/port>/);
    expect(read('deploy/clickhouse/keeper.xml')).toContain('<tcp_port>9181</tcp_port>');
    // Inter-server queries log in with the same password, read from the environment, never written here.
    expect(cluster.match(/<password[^>]*>/g)).toEqual([
      '<password from_env="CLICKHOUSE_PASSWORD"/>',
      '<password from_env="CLICKHOUSE_PASSWORD"/>',
    ]);
    for (const [i, name] of ['clickhouse1', 'clickhouse2'].entries()) {
      const svc = doc.services[name];
      expect(svc?.image).toMatch(/^clickhouse\/clickhouse-server:/);
      expect(svc?.depends_on).toHaveProperty('keeper');
      expect(svc?.volumes).toContain(
        `./deploy/clickhouse/macros-${i + 1}.xml:/etc/clickhouse-server/config.d/macros.xml:ro`,
      );
      const macros = read(`deploy/clickhouse/macros-${i + 1}.xml`);
      expect(macros).toContain('<shard>01</shard>');
      expect(macros).toContain(`<replica>${name}</replica>`);
      expect(cluster).toContain(`<host>${name}</host>`);
    }
    expect(dockside?.depends_on).toMatchObject({
      clickhouse1: { condition: 'service_healthy' },
      clickhouse2: { condition: 'service_healthy' },
      nats1: { condition: 'service_healthy' },
    });
  });
});
