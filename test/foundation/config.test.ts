import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDockside } from '../../app/runtime.ts';
import { ConfigError, createLogger, loadConfig, loadPolicy, RetryableError } from '../../core/mod.ts';
import { repoRoot, tempDir, templatePolicy } from '../helpers/env.ts';

const cli = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [path.join(repoRoot, 'bin/dockside.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('configuration', () => {
  it('has documented defaults and is frozen', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ natsUrl: 'nats://127.0.0.1:4222', port: 8080, logLevel: 'info' });
    expect(c.clickhouse.mode).toBe('embedded');
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.clickhouse)).toBe(true);
  });

  it('names the variable, the value and what was expected', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/^PORT="abc" is invalid: expected number/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT="70000" is invalid/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(
      /LOG_LEVEL="loud" is invalid: expected one of fatal, error/,
    );
    expect(() => loadConfig({ CLICKHOUSE_URL: 'ftp://x' })).toThrow(
      /CLICKHOUSE_URL="ftp:\/\/x" is invalid: expected a URL with protocol http: or https:/,
    );
    expect(() => loadConfig({ NATS_URL: 'localhost' })).toThrow(/NATS_URL="localhost" is invalid/);
    try {
      loadConfig({ DOCKSIDE_PREFIX: 'has space' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe('DOCKSIDE_PREFIX');
    }
  });

  it('loads the shared write-back policy template unchanged', () => {
    const policy = loadPolicy(templatePolicy);
    expect(policy.policy_name).toBe('exception_to_crm_writeback');
    expect(policy.thresholds.late_scan?.customer_tiers?.tier1?.writeback?.confidence_min).toBe(0.78);
  });

  it('rejects a policy file that is not a policy, naming the field', () => {
    const t = tempDir('pol');
    const file = path.join(t.dir, 'p.yaml');
    writeFileSync(file, 'version: one\npolicy_name: x\n');
    expect(() => loadPolicy(file)).toThrow(/POLICY_FILE=.*version: got "one", expected number/);
    t.remove();
  });

  it('fails fast, naming the URL, when ClickHouse is unreachable', async () => {
    const t = tempDir('chdown');
    const config = loadConfig({
      CLICKHOUSE_URL: 'http://127.0.0.1:1',
      DOCKSIDE_DATA_DIR: t.dir,
      LOG_LEVEL: 'silent',
    });
    const started = Date.now();
    const err = await startDockside(config, {
      logger: createLogger(config),
      listen: false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toContain('http://127.0.0.1:1');
    expect(Date.now() - started).toBeLessThan(15_000);
    t.remove();
  });

  it('the CLI exits non-zero with the message for a bad PORT and an unreachable ClickHouse', () => {
    const badPort = cli(['up'], { PORT: 'abc' });
    expect(badPort.status).toBe(1);
    expect(badPort.stderr).toContain('PORT="abc" is invalid');
    const t = tempDir('chcli');
    const down = cli(['up'], {
      CLICKHOUSE_URL: 'http://127.0.0.1:1',
      DOCKSIDE_DATA_DIR: t.dir,
      LOG_LEVEL: 'silent',
    });
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('cannot reach ClickHouse at http://127.0.0.1:1');
    t.remove();
  });

  it('has --help on every command', () => {
    for (const cmd of [[], ['up'], ['demo']]) {
      const r = cli([...cmd, '--help'], {});
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/Usage: dockside/);
    }
  });
});
