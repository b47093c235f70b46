import type { AccessPolicy, Principal } from '../../core/mod.ts';

/**
 * What a person may see of approvals and writes (object level; the route's permission is checked before):
 * admins and people who trigger automation see all; a RevOps manager sees their regions; an account owner
 * their own accounts.
 */
export function canSee(
  p: Principal,
  access: AccessPolicy,
  object: { readonly region: string; readonly ownerUserId: string },
): boolean {
  if (p.roles.includes('admin') || access.can(p, 'writeback:trigger')) return true;
  if (p.roles.includes('revops_manager') && (p.regions.includes('*') || p.regions.includes(object.region))) {
    return true;
  }
  return p.roles.includes('account_owner') && object.ownerUserId === p.userId;
}

/** Whether a person may roll back or act on an object's write: the approvers of its account, or an admin. */
export function canActOnAccount(
  p: Principal,
  object: { readonly region: string; readonly ownerUserId: string },
): boolean {
  if (p.roles.includes('admin')) return true;
  if (p.roles.includes('revops_manager') && (p.regions.includes('*') || p.regions.includes(object.region))) {
    return true;
  }
  return p.roles.includes('account_owner') && object.ownerUserId === p.userId;
}
