import type { Logger } from '../../core/mod.ts';
import { TargetRejectedError, TargetUnavailableError } from '../errors.ts';
import { type SlackMessage, slackMessageSchema } from './slack-blocks.ts';

/**
 * Posts to a Slack incoming webhook (or anything speaking its contract, e.g. Mattermost). Slack answers
 * `200 ok`; a refusal is 400/403/404/410 with a short text code (invalid_payload, invalid_token,
 * action_prohibited, no_service, channel_not_found, channel_is_archived…): permanent, the same post would
 * be refused again. 429 carries Retry-After (seconds); 5xx and network failures are worth a retry.
 * The webhook URL is a secret (its path is the token): it never appears in logs or errors, only its host.
 */
export const SLACK_TARGET = 'slack';

export interface SlackNotifierOptions {
  readonly logger?: Logger;
  /** Per request; a hung webhook counts as unavailable. */
  readonly timeoutMs?: number;
}

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs = Date.now()): number | undefined {
  if (!header) return undefined;
  const s = header.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Slack's error codes are short snake_case words; anything else (an HTML error page) is not echoed. */
function slackCode(body: string, status: number): string {
  const t = body.trim();
  return /^[a-z][a-z0-9_]{1,63}$/.test(t) ? t : `http_${status}`;
}

export class SlackNotifier {
  readonly target = SLACK_TARGET;
  readonly #url: string;
  readonly #host: string;
  readonly #timeoutMs: number;
  readonly #logger: Logger | undefined;

  constructor(webhookUrl: string, opts: SlackNotifierOptions = {}) {
    const u = new URL(webhookUrl);
    this.#url = u.toString();
    this.#host = u.host;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#logger = opts.logger;
  }

  /** Posts one message; resolves when Slack accepted it. */
  async post(message: SlackMessage): Promise<void> {
    const parsed = slackMessageSchema.safeParse(message);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TargetRejectedError(
        SLACK_TARGET,
        'invalid_payload',
        `the message is not a valid Slack payload: ${issue?.path.join('.') || '(message)'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    let res: Response;
    try {
      res = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(parsed.data),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      throw new TargetUnavailableError(SLACK_TARGET, `webhook at ${this.#host} unreachable`, { cause });
    }
    const body = await res.text().catch(() => '');
    if (res.ok) {
      this.#logger?.debug(
        { target: SLACK_TARGET, host: this.#host, status: res.status },
        'slack post accepted',
      );
      return;
    }
    const code = slackCode(body, res.status);
    if (res.status === 429 || res.status === 408 || res.status >= 500) {
      const wait = retryAfterMs(res.headers.get('retry-after'));
      this.#logger?.warn(
        { target: SLACK_TARGET, host: this.#host, status: res.status, code, retryAfterMs: wait },
        'slack post deferred',
      );
      throw new TargetUnavailableError(SLACK_TARGET, `webhook answered ${res.status} ${code}`, {
        status: res.status,
        ...(wait !== undefined ? { retryAfterMs: wait } : {}),
      });
    }
    this.#logger?.warn(
      { target: SLACK_TARGET, host: this.#host, status: res.status, code },
      'slack post refused',
    );
    throw new TargetRejectedError(SLACK_TARGET, code, `webhook refused the post: ${res.status} ${code}`, {
      status: res.status,
    });
  }
}
