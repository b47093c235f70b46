import { createHmac, randomBytes } from 'node:crypto';

/**
 * The contract server's OAuth 2.0 token endpoint (`POST /services/oauth2/token`, client-credentials
 * grant, form-encoded). Errors are OAuth's `{ error, error_description }` with status 400, as Salesforce
 * answers them; success carries access_token, instance_url, id, token_type, issued_at and signature
 * (base64 HMAC-SHA256 of id + issued_at keyed by the client secret).
 */
export function tokenEndpoint(
  method: string,
  contentType: string | undefined,
  body: string,
  app: { readonly clientId: string; readonly clientSecret: string; readonly url: string },
): { status: number; body: unknown; token?: string } {
  const refuse = (status: number, error: string, description: string) => ({
    status,
    body: { error, error_description: description },
  });
  if (method !== 'POST') return refuse(405, 'invalid_request', 'must use HTTP POST');
  if (!contentType?.startsWith('application/x-www-form-urlencoded')) {
    return refuse(400, 'invalid_request', 'unsupported content type');
  }
  const form = new URLSearchParams(body);
  if (form.get('grant_type') !== 'client_credentials') {
    return refuse(400, 'unsupported_grant_type', 'grant type not supported');
  }
  if (form.get('client_id') !== app.clientId)
    return refuse(400, 'invalid_client_id', 'client identifier invalid');
  if (form.get('client_secret') !== app.clientSecret) {
    return refuse(400, 'invalid_client', 'invalid client credentials');
  }
  const token = `00D000000000001!${randomBytes(24).toString('base64url')}`;
  const id = `${app.url}/id/00D000000000001AAA/005000000000001AAA`;
  const issuedAt = String(Date.now());
  const signature = createHmac('sha256', app.clientSecret)
    .update(id + issuedAt)
    .digest('base64');
  return {
    status: 200,
    token,
    body: {
      access_token: token,
      instance_url: app.url,
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
      signature,
    },
  };
}
