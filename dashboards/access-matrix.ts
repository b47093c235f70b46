import type { AccessPolicy } from '../core/mod.ts';
import { routeTable } from './access.ts';

/**
 * The route × role matrix as a Markdown table, rendered from the one route table and the policy's roles:
 * docs/writeback.md embeds it, and a test keeps the two equal. ✓ = allowed past the choke point (the
 * handler may still refuse an object: another owner's account, another region); 403 = refused there.
 */
export function accessMatrixMarkdown(access: AccessPolicy): string {
  const roles = access.knownRoles();
  const head = `| route | permission | ${roles.join(' | ')} | no / bad / expired token |`;
  const rule = `| --- | --- | ${roles.map(() => ':-:').join(' | ')} | :-: |`;
  const rows = routeTable().map(({ method, url, permission }) => {
    const open = permission === 'public';
    const cells = roles.map((r) =>
      open || permission === 'authenticated' || access.can({ roles: [r] }, permission) ? '✓' : '403',
    );
    return `| \`${method} ${url}\` | ${permission} | ${cells.join(' | ')} | ${open ? '✓' : '401'} |`;
  });
  return [head, rule, ...rows].join('\n');
}
