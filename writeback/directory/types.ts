import { z } from 'zod';
import { customerTiers } from '../../core/mod.ts';

/** One customer of the 3PL as the write-back needs it: where its CRM account is, who owns it, where it lives. */
export const customerEntrySchema = z
  .object({
    customerId: z.string().min(1).max(128),
    crmAccountId: z.string().min(1).max(64).optional(),
    crmExternalId: z.string().min(1).max(128).optional(),
    ownerUserId: z.string().min(1).max(128),
    region: z.string().min(1).max(64),
    tier: z.enum(customerTiers),
    name: z.string().max(256).optional(),
    ownerEmail: z.email().optional(),
    contactEmail: z.email().optional(),
    /** Extra columns of the import, kept as text. */
    attributes: z.record(z.string(), z.string()).default({}),
  })
  .refine((c) => c.crmAccountId !== undefined || c.crmExternalId !== undefined, {
    message: 'crmAccountId or crmExternalId',
    path: ['crmAccountId'],
  });
export type CustomerEntry = z.output<typeof customerEntrySchema>;

/** A person (or service) Dockside notifies and checks approvals against. */
export const userEntrySchema = z.object({
  userId: z.string().min(1).max(128),
  name: z.string().min(1).max(256),
  email: z.email().optional(),
  roles: z.array(z.string().min(1)).default([]),
  /** Regions a RevOps manager covers; `*` = all. */
  regions: z.array(z.string().min(1)).default([]),
  slackId: z.string().optional(),
  /** The person's user id in the CRM (Salesforce 005…): maps an Account's OwnerId to this user on a CRM load. */
  crmUserId: z.string().min(1).max(64).optional(),
});
export type UserEntry = z.output<typeof userEntrySchema>;
