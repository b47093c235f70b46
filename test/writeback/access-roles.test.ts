import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccessPolicy, accessFor, defaultPolicy, loadPolicy, type Policy } from '../../core/mod.ts';
import { routeTable } from '../../dashboards/mod.ts';
import { repoRoot } from '../helpers/env.ts';

/** Roles → permissions and the route table, without a server (access.test.ts runs them against one). */
const template = loadPolicy(path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml'));

describe('roles → permissions', () => {
  const access = new AccessPolicy(template);
  const perms = (role: string) => access.permissionsOf([role]);

  it('follows the design table for the template policy', () => {
    expect(perms('ops_dispatch_manager')).toEqual([
      'exceptions:read',
      'exceptions:act',
      'writeback:trigger',
      'quality:read',
      'forecasts:read',
      'customers:read',
      'approvals:read',
      'writebacks:read',
      'policy:read',
    ]);
    expect(perms('ops_exception_lead')).toEqual(perms('ops_dispatch_manager'));
    expect(perms('account_owner')).toEqual([
      'exceptions:read',
      'forecasts:read',
      'customers:read',
      'approvals:read',
      'approvals:decide',
      'writebacks:read',
      'writebacks:rollback',
      'audit:read',
      'policy:read',
    ]);
    expect(perms('revops_manager')).toEqual(perms('account_owner'));
    expect(perms('warehouse_supervisor')).toEqual([
      'exceptions:read',
      'quality:read',
      'forecasts:read',
      'policy:read',
    ]);
    expect(perms('planner')).toEqual(['exceptions:read', 'forecasts:read', 'policy:read']);
    expect(perms('ingest')).toEqual(['policy:read', 'events:write']);
    expect(perms('monitor')).toEqual(['policy:read', 'metrics:read']);
    expect(perms('admin')).toContain('approvals:decide');
    expect(perms('admin')).toContain('writebacks:redrive');
    expect(perms('intern')).toEqual([]);
  });

  it('grants the union of several roles, and nothing for roles the policy does not name', () => {
    expect(access.can({ roles: ['planner', 'ingest'] }, 'events:write')).toBe(true);
    expect(access.can({ roles: ['planner', 'ingest'] }, 'exceptions:act')).toBe(false);
    expect(access.knownRoles()).toEqual([
      'account_owner',
      'admin',
      'ingest',
      'monitor',
      'ops_dispatch_manager',
      'ops_exception_lead',
      'planner',
      'revops_manager',
      'warehouse_supervisor',
    ]);
    // Without the policy's rbac lists, its roles mean nothing; the built-in ones still do.
    const builtIn = new AccessPolicy(defaultPolicy);
    expect(builtIn.permissionsOf(['ops_dispatch_manager'])).toEqual([]);
    expect(builtIn.permissionsOf(['planner'])).toEqual(['exceptions:read', 'forecasts:read', 'policy:read']);
  });

  it('is rebuilt only when the policy object changes (hot reload)', () => {
    let current: Policy = template;
    const access = accessFor(() => current);
    const first = access();
    expect(access()).toBe(first);
    current = defaultPolicy;
    expect(access()).not.toBe(first);
    expect(access().can({ roles: ['account_owner'] }, 'approvals:decide')).toBe(false);
  });
});

describe('the route table', () => {
  it('is the documented contract: every route and the permission it needs', () => {
    const byPermission: Record<string, string[]> = {};
    for (const r of routeTable()) {
      byPermission[r.permission] = [...(byPermission[r.permission] ?? []), `${r.method} ${r.url}`];
    }
    expect(byPermission).toEqual({
      public: [
        'GET /',
        'GET /board',
        'GET /exceptions/:id',
        'GET /approvals',
        'GET /approvals/:id',
        'GET /writebacks/:id',
        'GET /forecasts',
        'GET /ops',
        'GET /ui/app.js',
        'GET /ui/app.css',
        'GET /healthz',
        'GET /signin',
        'GET /signin.js',
        'POST /api/session',
        'DELETE /api/session',
        'GET /api/session/demo-users',
        'GET /docs',
        'HEAD /docs/',
        'GET /docs/json',
        'GET /docs/yaml',
        'GET /docs/static/*',
        'GET /docs/static/index.html',
        'GET /docs/static/swagger-initializer.js',
        'GET /docs/static/theme/dockside.css',
        'GET /docs/static/theme/dockside.js',
      ],
      authenticated: ['GET /api/me'],
      'metrics:read': ['GET /metrics'],
      'exceptions:read': [
        'GET /api/stream',
        'GET /api/exceptions',
        'GET /api/exceptions/:id',
        'GET /api/incidents',
        'GET /api/incidents/:id',
        'GET /api/exceptions/counts',
        'GET /api/exceptions/:id/evidence',
        'GET /api/exceptions/:id/writeback',
        'GET /api/exceptions/:id/history',
      ],
      'events:write': ['POST /api/events'],
      'quality:read': ['GET /api/dead-letters', 'GET /api/quality', 'GET /api/ops'],
      'exceptions:act': [
        'POST /api/exceptions/:id/assign',
        'POST /api/exceptions/:id/resolve',
        'POST /api/incidents/:id/assign',
        'POST /api/incidents/:id/resolve',
      ],
      'forecasts:read': [
        'GET /api/forecasts',
        'GET /api/forecasts/accuracy',
        'GET /api/forecasts/alerts',
        'GET /api/forecasts/live',
        'GET /api/forecasts/openapi.json',
        'GET /api/forecasts/lanes',
        'GET /api/forecasts/series',
        'GET /api/forecasts/trucks',
      ],
      'customers:read': ['GET /api/customers/:id'],
      'customers:write': ['POST /api/customers'],
      'approvals:read': ['GET /api/approvals', 'GET /api/approvals/:id'],
      'approvals:decide': ['POST /api/approvals/:id/approve', 'POST /api/approvals/:id/reject'],
      'writeback:trigger': ['POST /api/exceptions/:id/writeback'],
      'writebacks:read': ['GET /api/writebacks', 'GET /api/writebacks/:id'],
      'writebacks:rollback': ['POST /api/writebacks/:id/rollback'],
      'writebacks:redrive': ['POST /api/writebacks/:id/redrive'],
      'audit:read': ['GET /api/audit', 'GET /api/audit/verify', 'GET /api/writeback/shadow'],
      'policy:read': ['GET /api/policy', 'GET /api/kpis'],
    });
  });
});
