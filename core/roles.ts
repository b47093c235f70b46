import type { Principal } from './identity.ts';
import type { Policy } from './policy.ts';

/** Every permission a route or an action can require (docs/writeback.md, "Identity and access"). */
export const permissions = [
  'exceptions:read',
  'exceptions:act',
  'writeback:trigger',
  'quality:read',
  'forecasts:read',
  'customers:read',
  'customers:write',
  'approvals:read',
  'approvals:decide',
  'writebacks:read',
  'writebacks:rollback',
  'writebacks:redrive',
  'audit:read',
  'policy:read',
  'events:write',
  'metrics:read',
] as const;
export type Permission = (typeof permissions)[number];

/** Roles Dockside defines itself; the others come from the policy's `rbac` lists. */
export const builtInRoles = ['planner', 'admin', 'ingest', 'monitor'] as const;

/** The policy's three role lists, plus one group per built-in role. */
export type RoleGroup = 'triggerers' | 'approvers' | 'readOnly' | (typeof builtInRoles)[number];

const all: readonly RoleGroup[] = ['triggerers', 'approvers', 'readOnly', ...builtInRoles];

/** The design table: which groups hold each permission. Object-level limits live in writeback. */
export const grants: Readonly<Record<Permission, readonly RoleGroup[]>> = {
  'exceptions:read': ['triggerers', 'approvers', 'readOnly', 'planner', 'admin'],
  'exceptions:act': ['triggerers', 'admin'],
  'writeback:trigger': ['triggerers', 'admin'],
  'quality:read': ['triggerers', 'readOnly', 'admin'],
  'forecasts:read': ['triggerers', 'approvers', 'readOnly', 'planner', 'admin'],
  'customers:read': ['triggerers', 'approvers', 'admin'],
  'customers:write': ['admin'],
  'approvals:read': ['triggerers', 'approvers', 'admin'],
  // Admins pass the choke point only to act as the escalation role: the approval rules still refuse them
  // a step that has not timed out (writeback/approvals/machine.ts).
  'approvals:decide': ['approvers', 'admin'],
  'writebacks:read': ['triggerers', 'approvers', 'admin'],
  'writebacks:rollback': ['approvers', 'admin'],
  'writebacks:redrive': ['admin'],
  'audit:read': ['approvers', 'admin'],
  'policy:read': all,
  'events:write': ['ingest', 'admin'],
  'metrics:read': ['monitor', 'admin'],
};

/**
 * Roles → permissions for one policy. The policy can be reloaded at run time, so callers hold a function
 * returning the current AccessPolicy rather than one instance. Roles the policy does not name have none.
 */
export class AccessPolicy {
  private readonly groups = new Map<string, Set<RoleGroup>>();
  private readonly byRole = new Map<string, ReadonlySet<Permission>>();

  constructor(policy: Policy) {
    const lists: [RoleGroup, readonly { role: string }[] | undefined][] = [
      ['triggerers', policy.rbac?.can_trigger_automation],
      ['approvers', policy.rbac?.can_approve_writeback],
      ['readOnly', policy.rbac?.read_only_roles],
    ];
    for (const [group, list] of lists) for (const { role } of list ?? []) this.add(role, group);
    for (const role of builtInRoles) this.add(role, role);
    for (const [role, groups] of this.groups) {
      this.byRole.set(role, new Set(permissions.filter((p) => grants[p].some((g) => groups.has(g)))));
    }
  }

  private add(role: string, group: RoleGroup): void {
    const set = this.groups.get(role) ?? new Set<RoleGroup>();
    set.add(group);
    this.groups.set(role, set);
  }

  /** The union of the roles' permissions, in the table's order. */
  permissionsOf(roles: readonly string[]): Permission[] {
    return permissions.filter((p) => roles.some((r) => this.byRole.get(r)?.has(p)));
  }

  can(principal: Pick<Principal, 'roles'>, permission: Permission): boolean {
    return principal.roles.some((r) => this.byRole.get(r)?.has(permission) ?? false);
  }

  /** Every role that grants something: the policy's plus the built-in ones, sorted. */
  knownRoles(): string[] {
    return [...this.byRole.keys()].sort();
  }

  /** The groups a role belongs to (a role may be both a triggerer and an approver). */
  groupsOf(role: string): RoleGroup[] {
    return [...(this.groups.get(role) ?? [])];
  }
}

/**
 * `() => AccessPolicy` over a policy source that can change (hot reload): rebuilt only when the policy
 * object changes, so a request costs a reference comparison.
 */
export function accessFor(current: () => Policy): () => AccessPolicy {
  let policy: Policy | undefined;
  let access: AccessPolicy | undefined;
  return () => {
    const now = current();
    if (now !== policy || !access) {
      policy = now;
      access = new AccessPolicy(now);
    }
    return access;
  };
}
