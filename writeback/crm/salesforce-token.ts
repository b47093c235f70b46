import { z } from 'zod';
import type { SalesforceConfig } from '../../core/mod.ts';
import {
  bodyText,
  type CallOptions,
  excerpt,
  isTransientStatus,
  parseRetryAfter,
  send,
  tryJson,
} from '../delivery/http.ts';
import { TargetRejectedError, TargetUnavailableError } from '../errors.ts';

const TARGET = 'salesforce';

/** The token endpoint's answer (OAuth 2.0 client credentials flow); only the token is used. */
const tokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  instance_url: z.string().optional(),
  issued_at: z.string().optional(),
});
const tokenErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

/**
 * The access token of the connected app, fetched with the client-credentials grant and cached until the
 * API says it is no longer valid (Salesforce gives such tokens no expiry; the org's session timeout
 * applies). Concurrent callers share one token request. The secret and the token never appear in errors.
 */
export class SalesforceTokens {
  private token: string | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly config: Pick<SalesforceConfig, 'tokenUrl' | 'clientId' | 'clientSecret'>,
    private readonly options: CallOptions = {},
  ) {}

  async get(): Promise<string> {
    if (this.token) return this.token;
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Drops `token` if it is still the cached one (another caller may have refreshed it already). */
  invalidate(token: string): void {
    if (this.token === token) this.token = undefined;
  }

  private async fetch(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.config.clientId,
      client_secret: this.config.clientSecret,
    });
    const res = await send(
      TARGET,
      this.config.tokenUrl,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: form.toString(),
      },
      this.options,
    );
    const text = await bodyText(TARGET, res);
    if (!res.ok) {
      const err = tokenErrorSchema.safeParse(tryJson(text));
      const code = err.success ? err.data.error : `HTTP_${res.status}`;
      const detail = err.success ? (err.data.error_description ?? err.data.error) : excerpt(text);
      const message = `token request refused (HTTP ${res.status} ${code}): ${detail}`;
      if (isTransientStatus(res.status)) {
        const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
        throw new TargetUnavailableError(TARGET, message, {
          status: res.status,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        });
      }
      // invalid_client, invalid_grant…: the connected app's configuration must be fixed.
      throw new TargetRejectedError(TARGET, code, message, { status: res.status });
    }
    const parsed = tokenSchema.safeParse(tryJson(text));
    if (!parsed.success) {
      throw new TargetRejectedError(
        TARGET,
        'UNEXPECTED_RESPONSE',
        'token endpoint answered without an access_token (is SALESFORCE_TOKEN_URL the OAuth token endpoint?)',
        { status: res.status },
      );
    }
    this.token = parsed.data.access_token;
    return this.token;
  }
}
