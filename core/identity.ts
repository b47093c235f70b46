import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type CryptoKey,
  createLocalJWKSet,
  importSPKI,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from 'jose';
import { z } from 'zod';
import type { WritebackConfig } from './config-writeback.ts';
import { ConfigError, RejectError } from './errors.ts';
import { fieldIssues, formatIssues } from './zod-issues.ts';

/**
 * Who is asking: verified from a bearer JWT (jose). Ownership of accounts is not in the token; it comes from
 * the customer directory, so a token carries only the user id, display name, roles, regions and e-mail.
 */
export interface Principal {
  readonly userId: string;
  readonly name: string;
  readonly roles: readonly string[];
  /** Regions the user may act in (RevOps managers); `*` means all. */
  readonly regions: readonly string[];
  readonly email?: string;
  /** Set only in the open local mode (DOCKSIDE_AUTH=off). */
  readonly open?: true;
}

export type AuthConfig = WritebackConfig['auth'];

/** Every request in the open local mode (DOCKSIDE_AUTH=off, `demo --open`) acts as this local admin. */
export const openPrincipal: Principal = Object.freeze({
  userId: 'local',
  name: 'Local (open mode)',
  roles: Object.freeze(['admin']),
  regions: Object.freeze(['*']),
  open: true as const,
});

/** Public routes run as nobody: no roles, no regions. */
export const anonymousPrincipal: Principal = Object.freeze({
  userId: 'anonymous',
  name: 'Anonymous',
  roles: Object.freeze([]),
  regions: Object.freeze([]),
});

export type AuthenticationCode = 'UNAUTHENTICATED' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED';

/** 401: no credentials, or credentials that do not verify. The caller must sign in again. */
export class AuthenticationError extends RejectError {
  declare readonly code: AuthenticationCode;
  constructor(code: AuthenticationCode, message: string, options?: { cause?: unknown }) {
    super(code, message, [], { ...options, httpStatus: 401 });
  }
}

export type ForbiddenCode = 'FORBIDDEN' | 'ROUTE_NOT_CLASSIFIED' | 'CSRF_REJECTED';

/** 403: the caller is known but may not do this (a permission, or an object it does not own). */
export class ForbiddenError extends RejectError {
  declare readonly code: ForbiddenCode;
  constructor(message: string, options?: { cause?: unknown; code?: ForbiddenCode }) {
    super(options?.code ?? 'FORBIDDEN', message, [], { cause: options?.cause, httpStatus: 403 });
  }
}

export interface VerifiedToken {
  readonly principal: Principal;
  /** When the token expires (ms since epoch): the session cookie lives no longer. */
  readonly expiresAt: number;
}

export interface TokenVerifier {
  /** What verifies tokens, for the start-up log (never the key itself). */
  readonly source: string;
  verify(token: string): Promise<VerifiedToken>;
}

const CLOCK_TOLERANCE_S = 30;
/** Public-key tokens: only these; a symmetric or `none` token is refused before its signature is looked at. */
const ASYMMETRIC = ['RS256', 'ES256'] as const;

const claimsSchema = z.object({
  sub: z.string().min(1).max(256),
  name: z.string().min(1).max(256).optional(),
  roles: z.array(z.string().min(1).max(128)).max(64),
  regions: z.array(z.string().min(1).max(128)).max(256).default([]),
  email: z.email().max(320).optional(),
});

/** The development HS256 secret (48 random bytes, base64url), created with mode 0600 on first use. */
export function devSecret(auth: Pick<AuthConfig, 'devSecretFile'>): {
  secret: string;
  file: string;
  created: boolean;
} {
  const file = auth.devSecretFile;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return { secret: readSecretFile(file), file, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigError('DOCKSIDE_DATA_DIR', `cannot create the development JWT secret ${file}`, {
        cause: err,
      });
    }
  }
  return { secret: readSecretFile(file), file, created: false };
}

function readSecretFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('DOCKSIDE_DATA_DIR', `cannot read the development JWT secret ${file}`, { cause });
  }
  const parsed = z.string().min(32).safeParse(text.trim());
  if (!parsed.success) {
    throw new ConfigError(
      'DOCKSIDE_DATA_DIR',
      `the development JWT secret ${file} is shorter than 32 characters: delete it and a new one is made`,
    );
  }
  return parsed.data;
}

/** Which key signs or verifies, as configured: a secret, a public key, a JWKS, or the development secret. */
export function keySource(auth: AuthConfig): 'secret' | 'public-key' | 'jwks' | 'dev-secret' {
  if (auth.secret) return 'secret';
  if (auth.publicKeyFile) return 'public-key';
  if (auth.jwksFile) return 'jwks';
  return 'dev-secret';
}

function readKeyFile(key: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(key, `${key}=${file}: cannot read the file`, { cause });
  }
}

const jwksSchema = z.object({
  keys: z.array(z.looseObject({ kty: z.string().min(1) })).min(1),
});

async function verificationKey(
  auth: AuthConfig,
): Promise<{ key: Uint8Array | CryptoKey | JWTVerifyGetKey; algorithms: string[]; source: string }> {
  switch (keySource(auth)) {
    case 'secret':
      return {
        key: new TextEncoder().encode(auth.secret),
        algorithms: ['HS256'],
        source: 'HS256 secret (DOCKSIDE_JWT_SECRET)',
      };
    case 'public-key': {
      const file = auth.publicKeyFile as string;
      const pem = readKeyFile('DOCKSIDE_JWT_PUBLIC_KEY', file);
      try {
        const key = await importSPKI(pem, auth.publicKeyAlg);
        return { key, algorithms: [auth.publicKeyAlg], source: `${auth.publicKeyAlg} public key ${file}` };
      } catch (cause) {
        throw new ConfigError(
          'DOCKSIDE_JWT_PUBLIC_KEY',
          `DOCKSIDE_JWT_PUBLIC_KEY=${file}: expected a PEM SPKI public key for ${auth.publicKeyAlg} (DOCKSIDE_JWT_ALG)`,
          { cause },
        );
      }
    }
    case 'jwks': {
      const file = auth.jwksFile as string;
      let data: unknown;
      try {
        data = JSON.parse(readKeyFile('DOCKSIDE_JWT_JWKS_FILE', file));
      } catch (cause) {
        if (cause instanceof ConfigError) throw cause;
        throw new ConfigError('DOCKSIDE_JWT_JWKS_FILE', `DOCKSIDE_JWT_JWKS_FILE=${file}: not valid JSON`, {
          cause,
        });
      }
      const parsed = jwksSchema.safeParse(data);
      if (!parsed.success) {
        throw new ConfigError(
          'DOCKSIDE_JWT_JWKS_FILE',
          `DOCKSIDE_JWT_JWKS_FILE=${file}: ${formatIssues(fieldIssues(parsed.error, data))}`,
          { cause: parsed.error },
        );
      }
      return {
        key: createLocalJWKSet(parsed.data),
        algorithms: [...ASYMMETRIC],
        source: `JWKS file ${file} (${parsed.data.keys.length} keys)`,
      };
    }
    case 'dev-secret': {
      const dev = devSecret(auth);
      return {
        key: new TextEncoder().encode(dev.secret),
        algorithms: ['HS256'],
        source: `development HS256 secret ${dev.file}`,
      };
    }
  }
}

/** Builds the verifier once at start: keys are read and parsed here, so a bad key file stops start-up. */
export async function createTokenVerifier(auth: AuthConfig): Promise<TokenVerifier> {
  const { key, algorithms, source } = await verificationKey(auth);
  const options = {
    algorithms,
    requiredClaims: ['exp'],
    clockTolerance: CLOCK_TOLERANCE_S,
    ...(auth.issuer ? { issuer: auth.issuer } : {}),
    ...(auth.audience ? { audience: auth.audience } : {}),
  };
  return {
    source,
    async verify(token) {
      let payload: Record<string, unknown>;
      try {
        // The overloads differ only in the key's type; both run the same checks.
        const result =
          typeof key === 'function'
            ? await jwtVerify(token, key, options)
            : await jwtVerify(token, key, options);
        payload = result.payload;
      } catch (err) {
        throw authenticationFailure(err);
      }
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) {
        const issues = fieldIssues(claims.error, payload);
        throw new AuthenticationError('TOKEN_INVALID', `token claims: ${formatIssues(issues)}`, {
          cause: claims.error,
        });
      }
      const c = claims.data;
      return {
        principal: {
          userId: c.sub,
          name: c.name ?? c.sub,
          roles: c.roles,
          regions: c.regions,
          ...(c.email ? { email: c.email } : {}),
        },
        expiresAt: Number(payload.exp) * 1000,
      };
    },
  };
}

function authenticationFailure(err: unknown): AuthenticationError {
  if (err instanceof joseErrors.JWTExpired) {
    return new AuthenticationError('TOKEN_EXPIRED', 'token expired: sign in again', { cause: err });
  }
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    const what = err.reason === 'missing' ? 'is missing' : `is not accepted (${err.reason})`;
    return new AuthenticationError('TOKEN_INVALID', `token claim "${err.claim}" ${what}`, { cause: err });
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) {
    return new AuthenticationError('TOKEN_INVALID', 'token algorithm is not accepted by this server', {
      cause: err,
    });
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new AuthenticationError('TOKEN_INVALID', 'token signature does not verify', { cause: err });
  }
  if (err instanceof joseErrors.JOSEError) {
    return new AuthenticationError('TOKEN_INVALID', `token is not valid (${err.code})`, { cause: err });
  }
  return new AuthenticationError('TOKEN_INVALID', 'token is not a JWT', { cause: err });
}

export interface TokenRequest {
  readonly userId: string;
  readonly name?: string;
  readonly roles: readonly string[];
  readonly regions?: readonly string[];
  readonly email?: string;
}

export interface MintedToken {
  readonly token: string;
  /** RFC 3339 UTC. */
  readonly expiresAt: string;
  readonly principal: Principal;
}

const tokenRequestSchema = z.object({
  userId: z.string().min(1).max(256),
  name: z.string().min(1).max(256).optional(),
  roles: z.array(z.string().min(1).max(128)).min(1).max(64),
  regions: z.array(z.string().min(1).max(128)).max(256).optional(),
  email: z.email().max(320).optional(),
});

const TTL_UNITS_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_TTL_MS = 366 * 86_400_000;

/** "30m", "8h", "7d" → milliseconds (at most 366 days). */
export function parseTtl(ttl: string): number {
  const m = /^([1-9]\d{0,6})([smhd])$/.exec(ttl.trim());
  const ms = m ? Number(m[1]) * TTL_UNITS_MS[m[2] as keyof typeof TTL_UNITS_MS] : Number.NaN;
  if (!(ms <= MAX_TTL_MS)) {
    throw new RejectError(
      'TTL_INVALID',
      `ttl: got ${JSON.stringify(ttl)}, expected a duration like 30m, 8h or 7d (at most 366d)`,
      [{ field: 'ttl', value: ttl, expected: 'a duration like 30m, 8h or 7d (at most 366d)' }],
    );
  }
  return ms;
}

/**
 * Signs an HS256 token with the configured secret, or the development secret when no key is configured.
 * With a public key or JWKS configured, tokens come from the identity provider: refused.
 */
export async function mintToken(
  auth: AuthConfig,
  request: TokenRequest,
  ttl = '8h',
  now = Date.now(),
): Promise<MintedToken> {
  const source = keySource(auth);
  if (source === 'public-key' || source === 'jwks') {
    const key = source === 'jwks' ? 'DOCKSIDE_JWT_JWKS_FILE' : 'DOCKSIDE_JWT_PUBLIC_KEY';
    throw new ConfigError(
      key,
      `${key} is set: tokens come from your identity provider; Dockside mints tokens only with DOCKSIDE_JWT_SECRET or its development secret`,
    );
  }
  const parsed = tokenRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error, request);
    throw new RejectError('TOKEN_REQUEST_INVALID', formatIssues(issues), issues, { cause: parsed.error });
  }
  const r = parsed.data;
  const ttlMs = parseTtl(ttl);
  const secret = source === 'secret' ? (auth.secret as string) : devSecret(auth).secret;
  const exp = Math.floor((now + ttlMs) / 1000);
  const principal: Principal = {
    userId: r.userId,
    name: r.name ?? r.userId,
    roles: r.roles,
    regions: r.regions ?? [],
    ...(r.email ? { email: r.email } : {}),
  };
  let jwt = new SignJWT({
    name: principal.name,
    roles: principal.roles,
    regions: principal.regions,
    ...(r.email ? { email: r.email } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(r.userId)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(exp);
  if (auth.issuer) jwt = jwt.setIssuer(auth.issuer);
  if (auth.audience) jwt = jwt.setAudience(auth.audience);
  const token = await jwt.sign(new TextEncoder().encode(secret));
  return { token, expiresAt: new Date(exp * 1000).toISOString(), principal };
}
