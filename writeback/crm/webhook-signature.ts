import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The webhook signature, Stripe-style: header
 *
 *   Dockside-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * Signing the timestamp with the body lets a receiver refuse replays older than its tolerance. A header
 * may carry several v1 entries (secret rotation: one per secret); any one matching is enough.
 */

export const SIGNATURE_HEADER = 'Dockside-Signature';

export function webhookSignature(secret: string, body: string, timestampSec: number): string {
  const t = Math.floor(timestampSec);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

export type WebhookVerification = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Checks a `Dockside-Signature` header against the raw request body (the exact bytes received, before
 * any JSON parsing). `toleranceSec` bounds the age (and clock skew) of the timestamp.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  body: string,
  toleranceSec: number,
  nowSec = Date.now() / 1_000,
): WebhookVerification {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  let t: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d+$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (t === undefined) return { ok: false, reason: 'signature header has no timestamp (t=<unix seconds>)' };
  if (candidates.length === 0) return { ok: false, reason: 'signature header has no v1=<hex sha256> entry' };
  if (Math.abs(nowSec - t) > toleranceSec) {
    return { ok: false, reason: `timestamp ${t} is outside the tolerance of ${toleranceSec} s` };
  }
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const match = candidates.some((hex) => timingSafeEqual(Buffer.from(hex, 'hex'), expected));
  return match ? { ok: true } : { ok: false, reason: 'no signature matches the body' };
}
