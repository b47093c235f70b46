import path from 'node:path';
import { formatOfName, readConfigFile, rejectsError } from './files.ts';
import { type ParseResult, parseUsers } from './parse.ts';
import type { UserEntry } from './types.ts';

/**
 * The people (and services) Dockside notifies and checks approvals against, from DOCKSIDE_USERS_FILE,
 * held in memory only (a restart re-reads the file). Empty when no file is configured: approvals then
 * find no holder to notify, and the identity of a request comes from its token alone.
 */
export class UserDirectory {
  private readonly byId: ReadonlyMap<string, UserEntry>;

  constructor(entries: readonly UserEntry[] = []) {
    this.byId = new Map(entries.map((u) => [u.userId, u]));
  }

  /**
   * Reads the file (none → an empty directory). A rejected line stops start-up with a ConfigError naming
   * the key, the line and the field; warnings (duplicates, ignored fields) are returned for the caller to log.
   */
  static async fromFile(
    file: string | undefined,
    key = 'DOCKSIDE_USERS_FILE',
  ): Promise<{ users: UserDirectory; warnings: ParseResult<UserEntry>['warnings'] }> {
    if (file === undefined) return { users: new UserDirectory(), warnings: [] };
    const text = await readConfigFile(file, key);
    const parsed = parseUsers(text, { format: formatOfName(file), source: `file:${path.basename(file)}` });
    if (parsed.rejects.length > 0) throw rejectsError(key, file, parsed.rejects);
    return { users: new UserDirectory(parsed.entries), warnings: parsed.warnings };
  }

  get(userId: string): UserEntry | undefined {
    return this.byId.get(userId);
  }

  withRole(role: string): UserEntry[] {
    return this.all().filter((u) => u.roles.includes(role));
  }

  all(): UserEntry[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }

  /** CRM user id → Dockside user id, for mapping an Account's OwnerId on a CRM load. */
  crmOwners(): Map<string, string> {
    return new Map(
      this.all().flatMap((u) =>
        u.crmUserId === undefined ? [] : [[u.crmUserId, u.userId] as [string, string]],
      ),
    );
  }
}
