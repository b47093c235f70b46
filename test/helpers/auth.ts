import { createHmac, randomBytes } from 'node:crypto';

/**
 * Test identities: HS256 tokens signed here with node:crypto, independently of core/identity.ts, so the tests
 * check the server against the JWT format itself rather than against its own minting code.
 */
export interface TokenOptions {
  readonly userId?: string;
  readonly name?: string;
  readonly regions?: readonly string[];
  readonly email?: string;
  /** Seconds from now until `exp` (negative: already expired). Default one hour. */
  readonly expiresIn?: number;
  /** Sign with another secret (a bad signature). */
  readonly secret?: string;
  /** Claims to add or override; `undefined` removes one (e.g. `{ roles: undefined }`). */
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly header?: Readonly<Record<string, unknown>>;
}

export interface TestAuth {
  /** Put this in DOCKSIDE_JWT_SECRET. */
  readonly secret: string;
  tokenFor(roles: readonly string[], opts?: TokenOptions): string;
  headersFor(role?: string, opts?: TokenOptions): { authorization: string };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS: base64url(header).base64url(payload).HMAC-SHA256 (RFC 7515/7519). */
export function signHs256(
  secret: string | Buffer,
  payload: Readonly<Record<string, unknown>>,
  header: Readonly<Record<string, unknown>> = {},
): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT', ...header })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export function testAuth(secret = randomBytes(32).toString('base64url')): TestAuth {
  const tokenFor = (roles: readonly string[], opts: TokenOptions = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const userId = opts.userId ?? `user-${roles.join('-') || 'none'}`;
    const payload: Record<string, unknown> = {
      sub: userId,
      name: opts.name ?? userId,
      roles,
      regions: opts.regions ?? [],
      ...(opts.email ? { email: opts.email } : {}),
      iat: now,
      exp: now + (opts.expiresIn ?? 3600),
      ...opts.claims,
    };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    return signHs256(opts.secret ?? secret, payload, opts.header);
  };
  return {
    secret,
    tokenFor,
    headersFor: (role = 'admin', opts = {}) => ({ authorization: `Bearer ${tokenFor([role], opts)}` }),
  };
}
