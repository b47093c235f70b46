import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { JsonKv } from '../../core/mod.ts';
import type { CommandOf } from '../pipeline/commands.ts';

/**
 * Notifications per incident, not per member: when an exception belongs to an open incident, the first
 * notice of a kind (approval needed, escalated, expired, write failed, held) to a set of recipients goes out
 * and names the incident; the same kind of notice to the same people about its other members is folded into
 * it (recorded, not sent). The first one per (incident, kind, recipients) is decided by a KV create, so two
 * outbox workers racing never both send, and a redelivery of the first sends again (at-least-once).
 * An exception not yet in any incident (the incident forms as members arrive) is notified on its own.
 */
export interface IncidentRef {
  readonly id: string;
  readonly title: string;
  readonly status: 'open' | 'resolved';
  readonly members: number;
}

export interface IncidentLookup {
  incidentOf(exceptionId: string): Promise<IncidentRef | undefined>;
}

export const incidentNoticeSchema = z.object({
  incidentId: z.string(),
  about: z.string(),
  /** The command that went out; the others of this key were folded into it. */
  commandId: z.string(),
  exceptionId: z.string(),
  at: z.string(),
});
export type IncidentNotice = z.output<typeof incidentNoticeSchema>;

export interface IncidentFolding {
  readonly incidents: IncidentLookup;
  readonly sent: JsonKv<IncidentNotice>;
  /** config.writeback.publicUrl, without a trailing slash. */
  readonly publicUrl: string;
  readonly now: () => number;
}

export type FoldDecision =
  | { readonly kind: 'send'; readonly cmd: CommandOf<'notify'> }
  | { readonly kind: 'folded'; readonly incidentId: string; readonly into: string };

/** A KV key (letters, digits, `-_.=`) for one incident, notice kind and set of recipients. */
export function noticeKey(incidentId: string, about: string, cmd: CommandOf<'notify'>): string {
  const who = [...cmd.recipients.map((r) => `u:${r}`), ...cmd.emails.map((e) => `e:${e}`)].sort().join('\n');
  const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
  return `${hash(incidentId)}.${about}.${hash(who)}`;
}

export async function foldIntoIncident(
  cmd: CommandOf<'notify'>,
  deps: IncidentFolding | undefined,
): Promise<FoldDecision> {
  if (!deps) return { kind: 'send', cmd };
  const incident = await deps.incidents.incidentOf(cmd.exceptionId);
  if (incident?.status !== 'open') return { kind: 'send', cmd };
  const key = noticeKey(incident.id, cmd.about, cmd);
  const record: IncidentNotice = {
    incidentId: incident.id,
    about: cmd.about,
    commandId: cmd.id,
    exceptionId: cmd.exceptionId,
    at: new Date(deps.now()).toISOString(),
  };
  const first =
    (await deps.sent.create(key, record)) !== undefined ? record : (await deps.sent.get(key))?.value;
  if (first && first.commandId !== cmd.id)
    return { kind: 'folded', incidentId: incident.id, into: first.commandId };
  return { kind: 'send', cmd: withIncident(cmd, incident, deps.publicUrl) };
}

/** The first notice names the incident and says where the rest are. */
function withIncident(
  cmd: CommandOf<'notify'>,
  incident: IncidentRef,
  publicUrl: string,
): CommandOf<'notify'> {
  const link = `${publicUrl}/board?group=incidents`;
  const line = `Part of incident "${incident.title}" (${incident.members} exceptions, ${incident.id}). Notices like this one about its other members are not sent one by one: ${link}`;
  return { ...cmd, text: `${cmd.text}\n\n${line}\n`, slackText: `${cmd.slackText}\n${line}` };
}
