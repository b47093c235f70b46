import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AuthConfig,
  AuthenticationError,
  ConfigError,
  createTokenVerifier,
  devSecret,
  loadConfig,
  mintToken,
  parseTtl,
  type RawEnv,
  RejectError,
} from '../../core/mod.ts';
import { signHs256, testAuth } from '../helpers/auth.ts';
import { repoRoot, tempDir } from '../helpers/env.ts';

const data = tempDir('identity');
afterAll(() => data.remove());

/** The auth section exactly as start-up builds it from the environment. */
const authOf = (env: Partial<RawEnv>, dir = data.dir): AuthConfig =>
  loadConfig({}, { DOCKSIDE_DATA_DIR: dir, ...env }).writeback.auth;

const file = (name: string, text: string) => {
  const p = path.join(data.dir, name);
  writeFileSync(p, text);
  return p;
};

/** Resolves with the AuthenticationError a verification fails with (fails the test when it verifies). */
async function refusal(verify: Promise<unknown>): Promise<AuthenticationError> {
  try {
    await verify;
  } catch (err) {
    expect(err).toBeInstanceOf(AuthenticationError);
    return err as AuthenticationError;
  }
  throw new Error('the token was accepted');
}

const now = () => Math.floor(Date.now() / 1000);

describe('HS256 secret', () => {
  const t = testAuth();
  const auth = authOf({ DOCKSIDE_JWT_SECRET: t.secret });

  it('turns the claims into a principal (name defaults to sub, regions to none)', async () => {
    const verifier = await createTokenVerifier(auth);
    expect(verifier.source).toContain('DOCKSIDE_JWT_SECRET');
    expect(verifier.source).not.toContain(t.secret);
    const token = t.tokenFor(['revops_manager'], {
      userId: 'rita',
      regions: ['us-midwest'],
      email: 'rita@example.com',
    });
    const { principal, expiresAt } = await verifier.verify(token);
    expect(principal).toEqual({
      userId: 'rita',
      name: 'rita',
      roles: ['revops_manager'],
      regions: ['us-midwest'],
      email: 'rita@example.com',
    });
    expect(expiresAt).toBeGreaterThan(Date.now());
    const bare = signHs256(t.secret, { sub: 'pat', roles: ['planner'], exp: now() + 60 });
    expect((await verifier.verify(bare)).principal).toEqual({
      userId: 'pat',
      name: 'pat',
      roles: ['planner'],
      regions: [],
    });
  });

  it('refuses a bad signature, a token that is not a JWT, and alg none', async () => {
    const verifier = await createTokenVerifier(auth);
    const forged = t.tokenFor(['admin'], { secret: 'another-secret-that-is-long-enough-000000' });
    expect(await refusal(verifier.verify(forged))).toMatchObject({
      code: 'TOKEN_INVALID',
      httpStatus: 401,
      message: 'token signature does not verify',
    });
    expect((await refusal(verifier.verify('not-a-jwt'))).code).toBe('TOKEN_INVALID');
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', roles: ['admin'], exp: now() + 60 })}.`;
    expect(await refusal(verifier.verify(none))).toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('refuses an expired token past the 30 s clock tolerance, and accepts one inside it', async () => {
    const verifier = await createTokenVerifier(auth);
    const expired = await refusal(verifier.verify(t.tokenFor(['admin'], { expiresIn: -120 })));
    expect(expired).toMatchObject({ code: 'TOKEN_EXPIRED', httpStatus: 401 });
    await expect(verifier.verify(t.tokenFor(['admin'], { expiresIn: -5 }))).resolves.toBeDefined();
  });

  it('names the missing or malformed claim', async () => {
    const verifier = await createTokenVerifier(auth);
    const noExp = await refusal(verifier.verify(t.tokenFor(['admin'], { claims: { exp: undefined } })));
    expect(noExp).toMatchObject({ code: 'TOKEN_INVALID', message: 'token claim "exp" is missing' });
    const noRoles = await refusal(verifier.verify(t.tokenFor(['admin'], { claims: { roles: undefined } })));
    expect(noRoles.message).toBe('token claims: roles: got undefined (missing), expected array');
    const noSub = await refusal(verifier.verify(t.tokenFor(['admin'], { claims: { sub: undefined } })));
    expect(noSub.message).toMatch(/^token claims: sub: got undefined \(missing\), expected string/);
    const stringRoles = await refusal(verifier.verify(t.tokenFor(['admin'], { claims: { roles: 'admin' } })));
    expect(stringRoles.message).toBe('token claims: roles: got "admin", expected array');
    const badEmail = await refusal(verifier.verify(t.tokenFor(['admin'], { email: 'not-an-email' })));
    expect(badEmail.message).toMatch(/^token claims: email: got "not-an-email", expected/);
  });

  it('checks issuer and audience when configured, naming the claim', async () => {
    const strict = authOf({
      DOCKSIDE_JWT_SECRET: t.secret,
      DOCKSIDE_JWT_ISSUER: 'https://idp.example.com',
      DOCKSIDE_JWT_AUDIENCE: 'dockside',
    });
    const verifier = await createTokenVerifier(strict);
    const good = t.tokenFor(['admin'], { claims: { iss: 'https://idp.example.com', aud: 'dockside' } });
    expect((await verifier.verify(good)).principal.roles).toEqual(['admin']);
    const wrongIss = t.tokenFor(['admin'], { claims: { iss: 'https://evil.example.com', aud: 'dockside' } });
    expect((await refusal(verifier.verify(wrongIss))).message).toMatch(/^token claim "iss" /);
    const wrongAud = t.tokenFor(['admin'], { claims: { iss: 'https://idp.example.com', aud: 'other' } });
    expect((await refusal(verifier.verify(wrongAud))).message).toMatch(/^token claim "aud" /);
    const noIss = t.tokenFor(['admin'], { claims: { aud: 'dockside' } });
    expect((await refusal(verifier.verify(noIss))).message).toBe('token claim "iss" is missing');
  });

  it('mints tokens that verify, with issuer/audience, TTL and expiry', async () => {
    const strict = authOf({
      DOCKSIDE_JWT_SECRET: t.secret,
      DOCKSIDE_JWT_ISSUER: 'dockside-dev',
      DOCKSIDE_JWT_AUDIENCE: 'dockside',
    });
    const at = Date.now();
    const minted = await mintToken(
      strict,
      { userId: 'ana', name: 'Ana', roles: ['account_owner'] },
      '30m',
      at,
    );
    expect(Date.parse(minted.expiresAt)).toBe(Math.floor((at + 30 * 60_000) / 1000) * 1000);
    const verified = await (await createTokenVerifier(strict)).verify(minted.token);
    expect(verified.principal).toEqual({ userId: 'ana', name: 'Ana', roles: ['account_owner'], regions: [] });
    expect(verified.principal).toEqual(minted.principal);
    expect(verified.expiresAt).toBe(Date.parse(minted.expiresAt));
  });

  it('refuses a bad TTL or request, naming the field', async () => {
    expect(parseTtl('8h')).toBe(8 * 3_600_000);
    expect(parseTtl('7d')).toBe(7 * 86_400_000);
    expect(() => parseTtl('5x')).toThrow(/^ttl: got "5x", expected a duration like 30m, 8h or 7d/);
    expect(() => parseTtl('400d')).toThrow(RejectError);
    await expect(mintToken(auth, { userId: '', roles: ['admin'] })).rejects.toThrow(
      /^userId: got "", expected string of length >= 1/,
    );
    await expect(mintToken(auth, { userId: 'x', roles: [] })).rejects.toThrow(
      /^roles: got \[\], expected array of length >= 1/,
    );
  });
});

describe('public keys', () => {
  it('verifies RS256 tokens with a PEM public key, and refuses an HS256 token signed with the PEM text', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const pem = await exportSPKI(publicKey);
    const auth = authOf({ DOCKSIDE_JWT_PUBLIC_KEY: file('rs256.pem', pem), DOCKSIDE_JWT_ALG: 'RS256' });
    const verifier = await createTokenVerifier(auth);
    expect(verifier.source).toMatch(/^RS256 public key .*rs256\.pem$/);
    const token = await new SignJWT({ roles: ['revops_manager'], name: 'Rita', regions: ['us-midwest'] })
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('rita')
      .setExpirationTime('10m')
      .sign(privateKey);
    expect((await verifier.verify(token)).principal).toMatchObject({ userId: 'rita', name: 'Rita' });
    // Algorithm confusion: the public key is public; an HMAC made with it must never pass.
    const confused = signHs256(pem, { sub: 'mallory', roles: ['admin'], exp: now() + 600 });
    expect(await refusal(verifier.verify(confused))).toMatchObject({
      code: 'TOKEN_INVALID',
      message: 'token algorithm is not accepted by this server',
    });
    const forgedPem = signHs256(Buffer.from(pem), { sub: 'mallory', roles: ['admin'], exp: now() + 600 });
    expect((await refusal(verifier.verify(forgedPem))).code).toBe('TOKEN_INVALID');
  });

  it('verifies ES256 tokens from a JWKS file, choosing the key by kid', async () => {
    const first = await generateKeyPair('ES256', { extractable: true });
    const second = await generateKeyPair('ES256', { extractable: true });
    const jwks = {
      keys: [
        { ...(await exportJWK(first.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' },
        { ...(await exportJWK(second.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' },
      ],
    };
    const auth = authOf({ DOCKSIDE_JWT_JWKS_FILE: file('jwks.json', JSON.stringify(jwks)) });
    const verifier = await createTokenVerifier(auth);
    expect(verifier.source).toContain('2 keys');
    const sign = (key: CryptoKey, kid: string) =>
      new SignJWT({ roles: ['account_owner'] })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setSubject('owner-ana')
        .setExpirationTime('5m')
        .sign(key);
    expect((await verifier.verify(await sign(second.privateKey, 'k2'))).principal.userId).toBe('owner-ana');
    // Signed by the first key but naming the second: the signature does not verify.
    expect((await refusal(verifier.verify(await sign(first.privateKey, 'k2')))).code).toBe('TOKEN_INVALID');
    expect((await refusal(verifier.verify(await sign(first.privateKey, 'k9')))).code).toBe('TOKEN_INVALID');
    const hs = signHs256('x'.repeat(40), { sub: 'm', roles: ['admin'], exp: now() + 60 });
    expect((await refusal(verifier.verify(hs))).code).toBe('TOKEN_INVALID');
  });

  it('stops start-up on an unreadable or malformed key file, naming the variable', async () => {
    await expect(
      createTokenVerifier(authOf({ DOCKSIDE_JWT_PUBLIC_KEY: file('bad.pem', 'not a key') })),
    ).rejects.toThrow(/^DOCKSIDE_JWT_PUBLIC_KEY=.*bad\.pem: expected a PEM SPKI public key for RS256/);
    await expect(
      createTokenVerifier(authOf({ DOCKSIDE_JWT_PUBLIC_KEY: path.join(data.dir, 'missing.pem') })),
    ).rejects.toThrow(/^DOCKSIDE_JWT_PUBLIC_KEY=.*missing\.pem: cannot read the file/);
    await expect(
      createTokenVerifier(authOf({ DOCKSIDE_JWT_JWKS_FILE: file('empty.json', '{"keys": []}') })),
    ).rejects.toThrow(/^DOCKSIDE_JWT_JWKS_FILE=.*empty\.json: keys: got \[\], expected array of length >= 1/);
    await expect(
      createTokenVerifier(authOf({ DOCKSIDE_JWT_JWKS_FILE: file('broken.json', '{"keys": [') })),
    ).rejects.toThrow(/not valid JSON/);
  });

  it('does not mint when tokens come from an identity provider', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const auth = authOf({
      DOCKSIDE_JWT_PUBLIC_KEY: file('es256.pem', await exportSPKI(publicKey)),
      DOCKSIDE_JWT_ALG: 'ES256',
    });
    const err = await mintToken(auth, { userId: 'x', roles: ['admin'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('DOCKSIDE_JWT_PUBLIC_KEY');
  });
});

describe('development secret', () => {
  it('is created once with mode 0600 and used by both minting and verifying', async () => {
    const dir = tempDir('devsecret');
    try {
      const auth = authOf({}, dir.dir);
      expect(auth.devSecretFile).toBe(path.join(dir.dir, 'jwt-dev-secret'));
      const created = devSecret(auth);
      expect(created.created).toBe(true);
      expect(statSync(auth.devSecretFile).mode & 0o777).toBe(0o600);
      expect(Buffer.from(created.secret, 'base64url')).toHaveLength(48);
      const again = devSecret(auth);
      expect(again).toMatchObject({ created: false, secret: created.secret });
      const verifier = await createTokenVerifier(auth);
      expect(verifier.source).toBe(`development HS256 secret ${auth.devSecretFile}`);
      const minted = await mintToken(auth, { userId: 'dev', roles: ['admin'] });
      expect((await verifier.verify(minted.token)).principal.userId).toBe('dev');
      // A token signed with a configured secret is not accepted by a server on the dev secret.
      const other = testAuth();
      expect((await refusal(verifier.verify(other.tokenFor(['admin'])))).code).toBe('TOKEN_INVALID');
    } finally {
      dir.remove();
    }
  });
});

describe('dockside token', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [path.join(repoRoot, 'bin/dockside.js'), 'token', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
  const minted = z.object({
    token: z.string(),
    expiresAt: z.iso.datetime(),
    principal: z.object({ userId: z.string(), name: z.string(), roles: z.array(z.string()) }),
  });

  it('prints a token on stdout that the server verifies (development secret)', async () => {
    const dir = tempDir('tokencli');
    try {
      const run = cli(['--user', 'owner-ana', '--role', 'account_owner', '--name', 'Ana Owner', '--json'], {
        DOCKSIDE_DATA_DIR: dir.dir,
      });
      expect(run.status, run.stderr).toBe(0);
      const out = minted.parse(JSON.parse(run.stdout));
      expect(out.principal).toMatchObject({
        userId: 'owner-ana',
        name: 'Ana Owner',
        roles: ['account_owner'],
      });
      expect(run.stderr).toContain('development secret');
      const verifier = await createTokenVerifier(authOf({}, dir.dir));
      expect((await verifier.verify(out.token)).principal.roles).toEqual(['account_owner']);
      expect(readFileSync(path.join(dir.dir, 'jwt-dev-secret'), 'utf8').trim().length).toBeGreaterThan(32);
    } finally {
      dir.remove();
    }
  });

  it('signs with DOCKSIDE_JWT_SECRET, takes several roles and regions, and prints only the token', async () => {
    const t = testAuth();
    const run = cli(
      [
        '--user',
        'rita',
        '--role',
        'revops_manager',
        '--role',
        'ops_exception_lead',
        '--region',
        'us-midwest',
        '--ttl',
        '30m',
      ],
      { DOCKSIDE_DATA_DIR: data.dir, DOCKSIDE_JWT_SECRET: t.secret },
    );
    expect(run.status, run.stderr).toBe(0);
    const token = run.stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    const verified = await (await createTokenVerifier(authOf({ DOCKSIDE_JWT_SECRET: t.secret }))).verify(
      token,
    );
    expect(verified.principal).toMatchObject({
      userId: 'rita',
      roles: ['revops_manager', 'ops_exception_lead'],
      regions: ['us-midwest'],
    });
    expect(verified.expiresAt - Date.now()).toBeLessThanOrEqual(30 * 60_000);
  });

  it('exits 2 naming the flag when the request is wrong, and warns about a role the policy does not know', () => {
    const env = { DOCKSIDE_DATA_DIR: data.dir };
    const noRole = cli(['--user', 'x'], env);
    expect(noRole.status).toBe(2);
    expect(noRole.stderr).toContain('--role: got nothing, expected at least one role');
    const badTtl = cli(['--user', 'x', '--role', 'admin', '--ttl', 'forever'], env);
    expect(badTtl.status).toBe(2);
    expect(badTtl.stderr).toContain('ttl: got "forever", expected a duration like 30m, 8h or 7d');
    const badEmail = cli(['--user', 'x', '--role', 'admin', '--email', 'nope'], env);
    expect(badEmail.status).toBe(2);
    expect(badEmail.stderr).toContain('--email: got "nope"');
    const unknown = cli(['--user', 'x', '--role', 'wizard'], env);
    expect(unknown.status).toBe(0);
    expect(unknown.stderr).toContain('role "wizard" grants no permission');
  });
});
