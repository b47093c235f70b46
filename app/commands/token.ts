import { Command } from 'commander';
import {
  AccessPolicy,
  type FieldIssue,
  formatIssues,
  keySource,
  loadConfig,
  loadPolicy,
  mintToken,
  RejectError,
} from '../../core/mod.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

/** The token request's fields as the command line names them, so an error points at the flag to fix. */
const flagOf: Record<string, string> = {
  userId: '--user',
  name: '--name',
  roles: '--role',
  regions: '--region',
  email: '--email',
  ttl: '--ttl',
};

function asFlags(err: RejectError): RejectError {
  const issues: FieldIssue[] = err.issues.map((i) => {
    const [head = '', ...rest] = i.field.split('.');
    return { ...i, field: [flagOf[head] ?? head, ...rest].join('.') };
  });
  return issues.length ? new RejectError(err.code, formatIssues(issues), issues, { cause: err }) : err;
}

interface TokenOptions {
  user: string;
  role: string[];
  name?: string;
  region: string[];
  email?: string;
  ttl: string;
  json?: boolean;
}

/** `dockside token`: mints a development token (HS256) and prints it on stdout; notes go to stderr. */
export function tokenCommand(): Command {
  return new Command('token')
    .description(
      'mint a bearer token (HS256, signed with DOCKSIDE_JWT_SECRET or the development secret in DOCKSIDE_DATA_DIR) and print it',
    )
    .requiredOption('--user <id>', 'user id (the token subject)')
    .option('--role <role>', 'a role, e.g. admin or account_owner; repeat for several', collect, [])
    .option('--name <name>', 'display name (default: the user id)')
    .option('--region <region>', 'a region the user acts in (`*` = all); repeat for several', collect, [])
    .option('--email <email>', 'e-mail address')
    .option('--ttl <duration>', 'lifetime, like 30m, 8h or 7d', '8h')
    .option('--json', 'print {token, expiresAt, principal}')
    .action(async (opts: TokenOptions) => {
      const config = loadConfig(process.env);
      const auth = config.writeback.auth;
      if (opts.role.length === 0) {
        throw new RejectError('TOKEN_REQUEST_INVALID', '--role: got nothing, expected at least one role', [
          { field: '--role', value: undefined, expected: 'at least one role' },
        ]);
      }
      let minted: Awaited<ReturnType<typeof mintToken>>;
      try {
        minted = await mintToken(
          auth,
          {
            userId: opts.user,
            roles: opts.role,
            ...(opts.name !== undefined ? { name: opts.name } : {}),
            ...(opts.region.length ? { regions: opts.region } : {}),
            ...(opts.email !== undefined ? { email: opts.email } : {}),
          },
          opts.ttl,
        );
      } catch (err) {
        throw err instanceof RejectError ? asFlags(err) : err;
      }
      warnAboutRoles(opts.role, config.policyFile);
      if (keySource(auth) === 'dev-secret') {
        process.stderr.write(
          `dockside: signed with the development secret ${auth.devSecretFile}; a server with the same DOCKSIDE_DATA_DIR accepts it\n`,
        );
      }
      process.stdout.write(`${opts.json ? JSON.stringify(minted) : minted.token}\n`);
    });
}

/** A role the policy does not know grants nothing: say so, but still mint (the policy may be about to change). */
function warnAboutRoles(roles: readonly string[], policyFile: string | undefined): void {
  let known: string[];
  try {
    known = new AccessPolicy(loadPolicy(policyFile)).knownRoles();
  } catch (err) {
    process.stderr.write(`dockside: roles not checked: ${(err as Error).message}\n`);
    return;
  }
  for (const role of roles.filter((r) => !known.includes(r))) {
    process.stderr.write(
      `dockside: role ${JSON.stringify(role)} grants no permission under ${policyFile ?? 'the built-in policy'} (known: ${known.join(', ')})\n`,
    );
  }
}
