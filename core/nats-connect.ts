import { readFileSync } from 'node:fs';
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { connect, credsAuthenticator, nkeyAuthenticator } from '@nats-io/transport-node';
import type { Config } from './config.ts';
import { ConfigError, RetryableError } from './errors.ts';
import type { Logger } from './logger.ts';

/** One NATS connection from config: every server of NATS_URL, credentials and TLS. */
export async function connectNats(
  config: Pick<Config, 'natsServers' | 'natsUrl' | 'natsAuth'>,
  logger: Logger,
): Promise<NatsConnection> {
  const auth = natsConnectOptions(config.natsAuth);
  try {
    const nc = await connect({
      servers: [...config.natsServers],
      name: 'dockside',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 3_000,
      // Capturing a stack per request (JetStream publish) costs more than the publish itself on the hot path.
      noAsyncTraces: true,
      ...auth,
    });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnect')
          logger.warn({ nats: s.type, server: s.server }, 'nats connection status');
      }
    })();
    return nc;
  } catch (cause) {
    // A refused credential will not get better by retrying: name the URL and the key to fix, never the secret.
    if (
      /authori[sz]ation|authentication/i.test(cause instanceof Error ? `${cause.name} ${cause.message}` : '')
    ) {
      const key = credentialKey(config.natsAuth);
      throw new ConfigError(
        key,
        `NATS at NATS_URL=${config.natsUrl} refused Dockside's credentials: check ${key}`,
        { cause },
      );
    }
    throw new RetryableError('NATS_UNREACHABLE', `cannot connect to NATS at NATS_URL=${config.natsUrl}`, {
      cause,
    });
  }
}

/** The key to fix when NATS refuses the connection (the server says only "Authorization Violation"). */
function credentialKey(auth: Config['natsAuth']): string {
  if (auth.user) return auth.password ? 'NATS_PASSWORD' : 'NATS_USER';
  if (auth.token) return 'NATS_TOKEN';
  if (auth.credsFile) return 'NATS_CREDS_FILE';
  if (auth.nkeySeedFile) return 'NATS_NKEY_SEED_FILE';
  return 'NATS_USER';
}

function readKeyFile(key: string, file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new ConfigError(key, `${key}=${file}: cannot read the file`, { cause });
  }
}

/** Credentials and TLS as nats.js connection options (files are read here, so a bad path names its key). */
export function natsConnectOptions(auth: Config['natsAuth']): Partial<ConnectionOptions> {
  const tls = auth.tls;
  if (tls) {
    for (const [key, file] of [
      ['NATS_TLS_CA_FILE', tls.caFile],
      ['NATS_TLS_CERT_FILE', tls.certFile],
      ['NATS_TLS_KEY_FILE', tls.keyFile],
    ] as const)
      if (file) readKeyFile(key, file);
  }
  return {
    ...(auth.user ? { user: auth.user, ...(auth.password ? { pass: auth.password } : {}) } : {}),
    ...(auth.token ? { token: auth.token } : {}),
    ...(auth.credsFile
      ? { authenticator: credsAuthenticator(readKeyFile('NATS_CREDS_FILE', auth.credsFile)) }
      : {}),
    ...(auth.nkeySeedFile
      ? {
          authenticator: nkeyAuthenticator(
            new TextEncoder().encode(
              new TextDecoder().decode(readKeyFile('NATS_NKEY_SEED_FILE', auth.nkeySeedFile)).trim(),
            ),
          ),
        }
      : {}),
    ...(tls ? { tls: { ...tls } } : {}),
  };
}
