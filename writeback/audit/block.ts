import { z } from 'zod';
import { auditEntrySchema } from './entry.ts';
import { AuditBlockInvalidError } from './errors.ts';

/**
 * One message of a chain's subject: the entries appended together (in seq order), plus, for an exclusive
 * chain, its owner's input cursor. Read back by the appender (the head) and the sink (rows).
 */
export const auditBlockSchema = z.object({
  entries: z.array(auditEntrySchema),
  /** The exclusive owner's input position (a decider: the exceptions-stream seq this block covers). */
  cursor: z.number().int().min(0).optional(),
  /** Only on a block without entries (a cursor-only block): the chain head it leaves unchanged. */
  head: z.object({ seq: z.number().int().min(0), hash: z.string() }).optional(),
});
export type AuditBlock = z.output<typeof auditBlockSchema>;

export function parseBlock(stream: string, streamSeq: number, text: string, chain: string): AuditBlock {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new AuditBlockInvalidError(stream, streamSeq, 'not JSON', { cause });
  }
  const r = auditBlockSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new AuditBlockInvalidError(
      stream,
      streamSeq,
      `not an audit block (${issue?.path.join('.') || '(block)'}: ${issue?.message})`,
      { cause: r.error },
    );
  }
  if (r.data.entries.length === 0 && !r.data.head) {
    throw new AuditBlockInvalidError(stream, streamSeq, 'a block with neither entries nor head');
  }
  const stranger = r.data.entries.find((e) => e.chain !== chain);
  if (stranger) {
    throw new AuditBlockInvalidError(
      stream,
      streamSeq,
      `holds an entry of chain ${stranger.chain}, expected ${chain}`,
    );
  }
  return r.data;
}
