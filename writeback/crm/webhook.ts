import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  bodyText,
  type CallOptions,
  excerpt,
  readJson,
  send,
  statusCode,
  statusError,
  tryJson,
} from '../delivery/http.ts';
import type { AccountRef, CrmAdapter, CrmTask, FieldValue } from './adapter.ts';
import { fieldValueSchema } from './fields.ts';
import { SIGNATURE_HEADER, webhookSignature } from './webhook-signature.ts';

/**
 * The generic CRM target: a signed JSON webhook, for CRMs other than Salesforce (or a middleware in front
 * of one). The receiver's contract:
 *
 *   POST <DOCKSIDE_WEBHOOK_URL>
 *   Content-Type: application/json
 *   Idempotency-Key: <key>            the same key on every retry of one operation
 *   Dockside-Signature: t=<unix>,v1=<hex HMAC-SHA256(DOCKSIDE_WEBHOOK_SECRET, "<t>.<raw body>")>
 *
 *   { "type": "fields.read",  "idempotencyKey", "account": {id?, externalId?}, "fields": ["ops_risk_level", …] }
 *       → 200 { "values": { "ops_risk_level": "high" | null, … } }   (a field left out counts as null)
 *   { "type": "fields.write", "idempotencyKey", "account", "values": { "ops_risk_level": "high", … } }
 *       → any 2xx once applied; a repeated key must not apply twice (answer 2xx again)
 *   { "type": "task.upsert",  "idempotencyKey": <task key>, "account", "task": {key, subject, description,
 *       priority?, activityDate?} }
 *       → 2xx, optionally { "id": "<the CRM's task id>" }; the same key must yield the same single task
 *
 * Field names are the policy's (the receiver maps them). Answers: 408/425/429/5xx = try again later
 * (Retry-After honoured); other 4xx = refused for good (body `{ "error": "…" }` or
 * `{ "error": { "code", "message" } }` is quoted in the dead letter). A receiver verifies the signature
 * with `verifyWebhookSignature(secret, header, rawBody, toleranceSec)` before parsing the body.
 */

const TARGET = 'webhook';

export interface WebhookOptions extends CallOptions {
  /** Unix ms clock for the signature timestamp. */
  readonly now?: () => number;
}

const readAnswer = z.object({ values: z.record(z.string(), fieldValueSchema) });
const taskAnswer = z.object({ id: z.string().min(1).optional() }).or(z.undefined());
const errorBody = z.object({
  error: z.union([z.string(), z.object({ code: z.string().optional(), message: z.string() })]),
});

export class WebhookAdapter implements CrmAdapter {
  readonly target = TARGET;
  private readonly now: () => number;

  constructor(
    private readonly config: { readonly url: string; readonly secret: string },
    private readonly options: WebhookOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  async readFields(account: AccountRef, fields: readonly string[]): Promise<Record<string, FieldValue>> {
    if (fields.length === 0) return {};
    const key = randomUUID(); // a read changes nothing; the key only correlates logs
    const res = await this.post(
      { type: 'fields.read', idempotencyKey: key, account, fields: [...fields] },
      key,
    );
    const { values } = await readJson(TARGET, res, readAnswer, 'fields.read');
    return Object.fromEntries(fields.map((f) => [f, values[f] ?? null]));
  }

  async writeFields(
    account: AccountRef,
    values: Readonly<Record<string, FieldValue>>,
    idempotencyKey: string,
  ): Promise<void> {
    const res = await this.post({ type: 'fields.write', idempotencyKey, account, values }, idempotencyKey);
    await res.body?.cancel();
  }

  async upsertTask(account: AccountRef, task: CrmTask): Promise<{ id: string }> {
    const res = await this.post({ type: 'task.upsert', idempotencyKey: task.key, account, task }, task.key);
    const text = await bodyText(TARGET, res);
    const parsed = taskAnswer.safeParse(text.trim() === '' ? undefined : tryJson(text));
    return { id: (parsed.success ? parsed.data?.id : undefined) ?? task.key };
  }

  private async post(payload: Record<string, unknown>, idempotencyKey: string): Promise<Response> {
    const body = JSON.stringify(payload);
    const res = await send(
      TARGET,
      this.config.url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Idempotency-Key': idempotencyKey,
          [SIGNATURE_HEADER]: webhookSignature(this.config.secret, body, this.now() / 1_000),
        },
        body,
      },
      this.options,
    );
    if (res.ok) return res;
    const text = await bodyText(TARGET, res);
    const err = errorBody.safeParse(tryJson(text));
    const code =
      err.success && typeof err.data.error === 'object' && err.data.error.code
        ? err.data.error.code
        : statusCode(res.status);
    const detail = err.success
      ? typeof err.data.error === 'string'
        ? err.data.error
        : err.data.error.message
      : excerpt(text) || res.statusText;
    throw statusError(TARGET, res, code, `${String(payload.type)}: ${excerpt(detail)}`);
  }
}
