import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, connectNats, createLogger, loadConfig, RetryableError } from '../../core/mod.ts';
import { type NatsNode, startNatsServer } from '../helpers/nats-cluster.ts';

/** Dockside's NATS connection from config, against nats-servers started here with credentials. */
const logger = createLogger({ logLevel: 'silent' });
const PASSWORD = 's3cret-pass-word';
const TOKEN = 'tok-0123456789abcdef';

let withUser: NatsNode & { remove(): Promise<void> };
let withToken: NatsNode & { remove(): Promise<void> };

beforeAll(async () => {
  [withUser, withToken] = await Promise.all([
    startNatsServer('user', `authorization { user: dockside, password: "${PASSWORD}" }`),
    startNatsServer('token', `authorization { token: "${TOKEN}" }`),
  ]);
});
afterAll(async () => {
  await withUser?.remove();
  await withToken?.remove();
});

describe('NATS credentials from config', () => {
  it('connects with NATS_USER/NATS_PASSWORD and with NATS_TOKEN, and JetStream answers', async () => {
    for (const [node, env] of [
      [withUser, { NATS_USER: 'dockside', NATS_PASSWORD: PASSWORD }],
      [withToken, { NATS_TOKEN: TOKEN }],
    ] as const) {
      const nc = await connectNats(loadConfig({ NATS_URL: node.url, ...env }), logger);
      const info = await nc.request('$JS.API.INFO', '');
      expect((info.json() as { type: string }).type).toBe('io.nats.jetstream.api.v1.account_info_response');
      await nc.close();
    }
  });

  it('a wrong password stops with a ConfigError naming NATS_URL and the key, never the password', async () => {
    const config = loadConfig({
      NATS_URL: withUser.url,
      NATS_USER: 'dockside',
      NATS_PASSWORD: 'wrong-guess-42',
    });
    const err = await connectNats(config, logger).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toContain(`NATS_URL=${withUser.url}`);
    expect(message).toContain('NATS_PASSWORD');
    expect(message).not.toContain('wrong-guess-42');
    expect(message).not.toContain(PASSWORD);
  });

  it('a missing token is refused the same way; an unreachable server is retryable', async () => {
    const refused = await connectNats(loadConfig({ NATS_URL: withToken.url }), logger).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toContain(withToken.url);
    const down = await connectNats(loadConfig({ NATS_URL: 'nats://127.0.0.1:1' }), logger).catch(
      (e: unknown) => e,
    );
    expect(down).toBeInstanceOf(RetryableError);
    expect((down as Error).message).toContain('NATS_URL=nats://127.0.0.1:1');
  });

  it('rejects conflicting or incomplete credentials at config time, naming the key', () => {
    expect(() => loadConfig({ NATS_USER: 'a', NATS_TOKEN: 'b' })).toThrow(/NATS_USER and NATS_TOKEN/);
    expect(() => loadConfig({ NATS_PASSWORD: 'x' })).toThrow(/NATS_PASSWORD is set without NATS_USER/);
    expect(() => loadConfig({ NATS_TLS_CERT_FILE: '/c.pem' })).toThrow(/NATS_TLS_KEY_FILE is missing/);
    const creds = loadConfig({ NATS_CREDS_FILE: '/nonexistent/user.creds' });
    return expect(connectNats(creds, logger)).rejects.toThrow(/NATS_CREDS_FILE=\/nonexistent\/user.creds/);
  });

  it('splits a NATS_URL list into servers and rejects a malformed one with the expectation', () => {
    const config = loadConfig({ NATS_URL: 'nats://a:4222,nats://b:4222,nats://c:4222' });
    expect(config.natsServers).toEqual(['nats://a:4222', 'nats://b:4222', 'nats://c:4222']);
    expect(() => loadConfig({ NATS_URL: 'nats://a:4222, nats://b:4222' })).toThrow(
      /NATS_URL=.*nats:\/\/host:port/,
    );
  });
});
