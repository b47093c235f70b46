import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fieldIssues, formatIssues, RejectError } from '../../core/mod.ts';
import type { CustomerDirectory } from './directory.ts';
import { customersFromItems, type DirectoryFormat, type ParseResult, parseCustomers } from './parse.ts';
import type { StoredCustomer } from './store.ts';
import type { CustomerEntry } from './types.ts';
import type { UserDirectory } from './users.ts';

export interface CustomerRouteDeps {
  readonly directory: CustomerDirectory;
  readonly users: UserDirectory;
  /** Who is importing (stored as the rows' source `api:<user>`); e.g. `(req) => req.principal.userId`. */
  readonly actorOf?: (req: FastifyRequest) => string | undefined;
}

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];
const CSV_TYPES = ['text/csv'];

export const idParam = z.object({ id: z.string().min(1).max(128) });
export const importQuery = z.object({ strict: z.enum(['true', 'false', '1', '0']).optional() });

/** A text body with the format its content type names (a class, so no JSON body can pass for one). */
class TextBody {
  constructor(
    readonly text: string,
    readonly format: DirectoryFormat,
  ) {}
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = fieldIssues(r.error, input);
  throw new RejectError('REQUEST_INVALID', formatIssues(issues), issues);
}

export function customerNotFound(id: string): RejectError {
  return new RejectError(
    'CUSTOMER_NOT_FOUND',
    `customer ${JSON.stringify(id)} is not in the customer directory`,
    [{ field: 'id', value: id, expected: 'the customerId of a customer in the directory' }],
    { httpStatus: 404 },
  );
}

/**
 * `GET /api/customers/:id` (the entry, its owner's name; a contact's e-mail only as `hasContactEmail`) and
 * `POST /api/customers` (NDJSON, CSV or a JSON array → `{ imported, rejects }`; `?strict=true` imports
 * nothing when any line is rejected). Registered in their own encapsulated scope so the body parsers for
 * NDJSON and CSV here do not clash with other modules' (POST /api/events parses NDJSON its own way).
 */
export function registerCustomerRoutes(app: FastifyInstance, deps: CustomerRouteDeps): void {
  app.register(async (scope) => {
    for (const [types, format] of [
      [NDJSON_TYPES, 'ndjson'],
      [CSV_TYPES, 'csv'],
    ] as const) {
      for (const t of types) if (scope.hasContentTypeParser(t)) scope.removeContentTypeParser(t);
      scope.addContentTypeParser(types, { parseAs: 'string' }, (_req, body, done) => {
        done(null, new TextBody(String(body), format));
      });
    }

    scope.get('/api/customers/:id', async (req) => {
      const { id } = parse(idParam, req.params);
      const customer = deps.directory.get(id);
      if (!customer) throw customerNotFound(id);
      return publicView(customer, deps.users.get(customer.ownerUserId)?.name);
    });

    scope.post('/api/customers', async (req, reply) => {
      const q = parse(importQuery, req.query);
      const strict = q.strict === 'true' || q.strict === '1';
      const actor = deps.actorOf?.(req);
      const source = actor ? `api:${actor}` : 'api';
      const parsed = bodyEntries(req.body, source);
      if (parsed.entries.length === 0 && parsed.rejects.length === 0) {
        throw new RejectError('REQUEST_INVALID', 'the body holds no customers', [
          {
            field: 'body',
            value: '',
            expected: 'NDJSON, CSV with a header row, or a JSON array of customers',
          },
        ]);
      }
      const refused = parsed.rejects.length > 0 && (strict || parsed.entries.length === 0);
      const imported = refused ? 0 : (await deps.directory.import(parsed.entries, source)).imported;
      const status = parsed.rejects.length === 0 ? 200 : imported > 0 ? 207 : 400;
      return reply.code(status).send({
        requestId: req.id,
        imported,
        rejected: parsed.rejects.length,
        rejects: parsed.rejects,
        warnings: parsed.warnings,
        ...(status === 400
          ? {
              error: {
                code: 'CUSTOMERS_REJECTED',
                message: strict
                  ? `${parsed.rejects.length} line(s) rejected; strict: nothing imported`
                  : 'every line was rejected; nothing imported',
              },
            }
          : {}),
      });
    });
  });
}

function bodyEntries(body: unknown, source: string): ParseResult<CustomerEntry> {
  if (body instanceof TextBody) return parseCustomers(body.text, { format: body.format, source });
  if (typeof body === 'string') return parseCustomers(body, { format: 'auto', source }); // text/plain
  if (Array.isArray(body)) return customersFromItems(body, source);
  if (body !== null && typeof body === 'object') return customersFromItems([body], source);
  throw new RejectError('REQUEST_INVALID', 'the body holds no customers', [
    {
      field: 'body',
      value: body ?? '',
      expected: 'application/x-ndjson, text/csv (header row) or an application/json array of customers',
    },
  ]);
}

/** The entry as the API shows it: a customer contact's e-mail is personal data, so only whether one is known. */
function publicView(c: StoredCustomer, ownerName: string | undefined) {
  const { contactEmail, ...rest } = c;
  return { ...rest, hasContactEmail: contactEmail !== undefined, ownerName: ownerName ?? null };
}
