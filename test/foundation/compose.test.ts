import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { repoRoot } from '../helpers/env.ts';

const service = z.looseObject({
  image: z.string().optional(),
  build: z.unknown().optional(),
  command: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  healthcheck: z.looseObject({ test: z.array(z.string()) }).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
});
const compose = z.object({
  services: z.record(z.string(), service),
  volumes: z.record(z.string(), z.unknown()),
});

describe('docker-compose.yml', () => {
  const doc = compose.parse(parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8')));
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
