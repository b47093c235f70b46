import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { z } from 'zod';

/**
 * A local server written to Slack's published incoming-webhook contract (tests and bench only):
 *  - POST https://hooks.slack.com/services/T…/B…/<secret> with a JSON body `{ text?, blocks? }`;
 *  - 200 `ok` on success;
 *  - 400 `invalid_payload` (body not JSON, wrong content type), `no_text` (neither text nor blocks),
 *    `invalid_blocks` (a block breaks Block Kit's shape or limits);
 *  - 403 `invalid_token` (wrong secret in the path), 404 `no_service` (no such webhook),
 *    404 `channel_not_found`, 410 `channel_is_archived`, 403 `action_prohibited` (via failFor);
 *  - 429 with `Retry-After: <seconds>` when rate limited, 500 `rollup_error` (via failFor).
 * Block limits are written independently of the client's own schema on purpose.
 */
const plain = (max: number) =>
  z.object({
    type: z.literal('plain_text'),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
  });
const textObj = (max: number) =>
  z.object({
    type: z.enum(['mrkdwn', 'plain_text']),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
    verbatim: z.boolean().optional(),
  });
const button = z.object({
  type: z.literal('button'),
  text: plain(75),
  action_id: z.string().max(255).optional(),
  url: z.url().max(3000).optional(),
  value: z.string().max(2000).optional(),
  style: z.enum(['primary', 'danger']).optional(),
});
const block = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), text: plain(150), block_id: z.string().max(255).optional() }),
  z
    .object({
      type: z.literal('section'),
      text: textObj(3000).optional(),
      fields: z.array(textObj(2000)).min(1).max(10).optional(),
      accessory: button.optional(),
      block_id: z.string().max(255).optional(),
    })
    .refine((s) => s.text !== undefined || s.fields !== undefined),
  z.object({ type: z.literal('divider'), block_id: z.string().max(255).optional() }),
  z.object({ type: z.literal('context'), elements: z.array(textObj(3000)).min(1).max(10) }),
  z.object({ type: z.literal('actions'), elements: z.array(button).min(1).max(25) }),
]);
const payload = z.object({
  text: z.string().optional(),
  blocks: z.array(z.unknown()).max(50).optional(),
  username: z.string().optional(),
  icon_emoji: z.string().optional(),
  unfurl_links: z.boolean().optional(),
});
export type SlackBlockPosted = z.output<typeof block>;

export interface SlackPost {
  readonly text: string | undefined;
  readonly blocks: SlackBlockPosted[];
  readonly at: number;
}

const defaultBody: Readonly<Record<number, string>> = {
  400: 'invalid_payload',
  403: 'action_prohibited',
  404: 'channel_not_found',
  410: 'channel_is_archived',
  429: 'rate_limited',
  500: 'rollup_error',
  503: 'service_unavailable',
};

export interface SlackContractServer {
  /** The webhook URL to configure (SLACK_WEBHOOK_URL). */
  readonly url: string;
  /** The same host with a wrong secret: answered 403 invalid_token. */
  readonly wrongTokenUrl: string;
  /** Posts accepted (200 ok), in order. */
  readonly posts: SlackPost[];
  /** Requests of any outcome, including refused and failed ones. */
  requests(): number;
  /** The next `count` valid posts are answered `status` (body: the contract's code for it, or `body`). */
  failFor(status: number, count: number, retryAfterSeconds?: number, body?: string): void;
  close(): Promise<void>;
}

export async function startSlackServer(): Promise<SlackContractServer> {
  const team = 'T0DOCKSIDE';
  const hook = 'B0NOTIFY';
  const secret = randomBytes(12).toString('hex');
  const posts: SlackPost[] = [];
  let requests = 0;
  let failing:
    | { status: number; left: number; retryAfter: number | undefined; body: string | undefined }
    | undefined;

  const answer = (
    res: http.ServerResponse,
    status: number,
    text: string,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'text/html', ...headers });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests += 1;
      const m = /^\/services\/([^/]+)\/([^/]+)\/([^/?]+)$/.exec(req.url ?? '');
      if (!m || m[1] !== team || m[2] !== hook) return answer(res, 404, 'no_service');
      if (m[3] !== secret) return answer(res, 403, 'invalid_token');
      if (req.method !== 'POST') return answer(res, 405, 'invalid_method');
      if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
        return answer(res, 400, 'invalid_payload');
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return answer(res, 400, 'invalid_payload');
      }
      const p = payload.safeParse(body);
      if (!p.success) return answer(res, 400, 'invalid_payload');
      const blocks = z.array(block).safeParse(p.data.blocks ?? []);
      if (!blocks.success) return answer(res, 400, 'invalid_blocks');
      if (!p.data.text && blocks.data.length === 0) return answer(res, 400, 'no_text');
      if (failing && failing.left > 0) {
        failing.left -= 1;
        const headers: Record<string, string> =
          failing.retryAfter !== undefined ? { 'retry-after': String(failing.retryAfter) } : {};
        return answer(res, failing.status, failing.body ?? defaultBody[failing.status] ?? 'error', headers);
      }
      posts.push({ text: p.data.text, blocks: blocks.data, at: Date.now() });
      answer(res, 200, 'ok');
    });
  });
  server.on('connection', (socket) => socket.on('error', () => undefined));

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('slack contract server has no port');
  const port = addr.port;
  const base = `http://127.0.0.1:${port}/services/${team}/${hook}`;
  return {
    url: `${base}/${secret}`,
    wrongTokenUrl: `${base}/not-the-secret`,
    posts,
    requests: () => requests,
    failFor(status, count, retryAfterSeconds, body) {
      failing = { status, left: count, retryAfter: retryAfterSeconds, body };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
