import { z } from 'zod';
import {
  bodyText,
  excerpt,
  isTransientStatus,
  parseRetryAfter,
  statusCode,
  tryJson,
} from '../delivery/http.ts';
import { TargetRejectedError, TargetUnavailableError } from '../errors.ts';

const TARGET = 'salesforce';

/** Salesforce REST error body: an array of `{ message, errorCode, fields? }`. */
const errorsSchema = z.array(
  z.object({ message: z.string(), errorCode: z.string(), fields: z.array(z.string()).optional() }),
);

/** Codes that mean "later" whatever the status says (the daily/concurrent API limit, maintenance). */
const TRANSIENT_CODES = new Set(['REQUEST_LIMIT_EXCEEDED', 'SERVER_UNAVAILABLE', 'UNABLE_TO_LOCK_ROW']);

/**
 * A non-2xx answer → the error the caller must act on, carrying Salesforce's errorCode and message.
 * `names` (policy name, API name) lets an INVALID_FIELD also say which policy field it came from.
 */
export async function salesforceError(
  res: Response,
  what: string,
  names: ReadonlyArray<readonly [string, string]> = [],
): Promise<TargetUnavailableError | TargetRejectedError> {
  const text = await bodyText(TARGET, res);
  const parsed = errorsSchema.safeParse(tryJson(text));
  const errors = parsed.success ? parsed.data : [];
  const code = errors[0]?.errorCode ?? (res.status === 300 ? 'MULTIPLE_CHOICES' : statusCode(res.status));
  let detail =
    errors.length > 0
      ? errors
          .map((e) =>
            e.fields && e.fields.length > 0 ? `${e.message} [fields: ${e.fields.join(', ')}]` : e.message,
          )
          .join('; ')
      : res.status === 300
        ? 'the external id matches more than one record'
        : excerpt(text) || res.statusText;
  const related = names.filter(
    ([, api]) => detail.includes(api) || errors.some((e) => e.fields?.includes(api)),
  );
  if (related.length > 0) {
    detail += ` (policy field ${related.map(([p, api]) => `${p} → ${api}`).join(', ')})`;
  }
  const message = `${what}: HTTP ${res.status} ${code}: ${detail}`;
  if (TRANSIENT_CODES.has(code) || isTransientStatus(res.status)) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    return new TargetUnavailableError(TARGET, message, {
      status: res.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  return new TargetRejectedError(TARGET, code, message, { status: res.status });
}

/** `Sforce-Limit-Info: api-usage=18/5000[; per-app-api-usage=…]` → used and max, when present. */
export function parseLimitInfo(header: string | null): { used: number; max: number } | undefined {
  const m = header ? /api-usage=(\d+)\/(\d+)/.exec(header) : null;
  return m ? { used: Number(m[1]), max: Number(m[2]) } : undefined;
}
