import { z } from 'zod';

/**
 * The subset of Slack Block Kit Dockside posts (header, mrkdwn sections, a context line, a link button), as
 * zod schemas with Slack's published limits: a message that breaks them is caught here rather than answered
 * `invalid_blocks` by Slack. Pure; also usable in outbox command schemas.
 */
const plain = (max: number) => z.object({ type: z.literal('plain_text'), text: z.string().min(1).max(max) });
const mrkdwn = (max: number) => z.object({ type: z.literal('mrkdwn'), text: z.string().min(1).max(max) });

const buttonSchema = z.object({
  type: z.literal('button'),
  text: plain(75),
  url: z.url().max(3000),
  action_id: z.string().min(1).max(255).optional(),
  style: z.enum(['primary', 'danger']).optional(),
});

export const slackBlockSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), text: plain(150) }),
  z
    .object({
      type: z.literal('section'),
      text: mrkdwn(3000).optional(),
      fields: z.array(mrkdwn(2000)).min(1).max(10).optional(),
      accessory: buttonSchema.optional(),
    })
    .refine((b) => b.text !== undefined || b.fields !== undefined, {
      message: 'a section needs text or fields',
    }),
  z.object({ type: z.literal('context'), elements: z.array(mrkdwn(2000)).min(1).max(10) }),
  z.object({ type: z.literal('actions'), elements: z.array(buttonSchema).min(1).max(25) }),
  z.object({ type: z.literal('divider') }),
]);
export type SlackBlock = z.output<typeof slackBlockSchema>;

export const slackBlocksSchema = z.array(slackBlockSchema).max(50);

/** What is posted to an incoming webhook: `text` is the notification fallback and what search shows. */
export const slackMessageSchema = z.object({
  text: z.string().min(1).max(40_000),
  blocks: slackBlocksSchema.optional(),
});
export type SlackMessage = z.output<typeof slackMessageSchema>;

/** Slack mrkdwn treats `&`, `<`, `>` as control characters: escape them in any value we interpolate. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 3)}...`);

export interface BlocksInput {
  /** A short title (header block, plain text). */
  readonly title: string;
  /** Paragraphs, already mrkdwn (escape interpolated values with escapeMrkdwn). */
  readonly sections: readonly string[];
  /** Label/value pairs shown as a two-column section. */
  readonly fields?: readonly (readonly [string, string])[];
  /** A small grey line at the end (ids, policy version). */
  readonly context?: string;
  readonly button?: { readonly text: string; readonly url: string };
}

/** Builds blocks within Slack's limits (long texts are clipped, not rejected). */
export function buildSlackBlocks(input: BlocksInput): SlackBlock[] {
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(input.title, 150) } },
  ];
  for (const s of input.sections.filter((x) => x.trim() !== '').slice(0, 40)) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(s, 3000) } });
  }
  const fields = (input.fields ?? []).slice(0, 10);
  if (fields.length > 0) {
    blocks.push({
      type: 'section',
      fields: fields.map(([k, v]) => ({ type: 'mrkdwn', text: clip(`*${escapeMrkdwn(k)}*\n${v}`, 2000) })),
    });
  }
  if (input.button) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: clip(input.button.text, 75) },
          url: input.button.url,
          style: 'primary',
        },
      ],
    });
  }
  if (input.context) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(input.context, 2000) }] });
  }
  return blocks;
}
