/**
 * The SOQL subset the Salesforce contract server answers: enough to list accounts for the directory.
 *
 *   SELECT f1, f2 FROM Object [WHERE cond [AND cond]…] [ORDER BY f [ASC|DESC]] [LIMIT n]
 *   cond := field (= | !=) ('text' | number | true | false | null)  |  field IN ('a', 'b', …)
 *
 * Anything else is MALFORMED_QUERY, as a real org would answer for a statement it cannot parse.
 */

export type Scalar = string | number | boolean | null;

export type Condition =
  | { readonly field: string; readonly op: '=' | '!='; readonly value: Scalar }
  | { readonly field: string; readonly op: 'IN'; readonly values: readonly Scalar[] };

export interface SoqlQuery {
  readonly fields: readonly string[];
  readonly object: string;
  readonly where: readonly Condition[];
  readonly orderBy?: { readonly field: string; readonly desc: boolean };
  readonly limit?: number;
}

export class SoqlError extends Error {}

const ident = '[A-Za-z_][A-Za-z0-9_]*';
const literal = String.raw`'(?:[^'\\]|\\.)*'|-?\d+(?:\.\d+)?|true|false|null`;

function parseLiteral(text: string): Scalar {
  const t = text.trim();
  if (t.startsWith("'")) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  const lower = t.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  const n = Number(t);
  if (Number.isNaN(n)) throw new SoqlError(`unexpected token: ${t}`);
  return n;
}

function parseCondition(text: string): Condition {
  const cmp = new RegExp(`^(${ident})\\s*(=|!=)\\s*(${literal})$`, 'i').exec(text.trim());
  if (cmp)
    return { field: cmp[1] as string, op: cmp[2] as '=' | '!=', value: parseLiteral(cmp[3] as string) };
  const inList = new RegExp(`^(${ident})\\s+IN\\s*\\((.*)\\)$`, 'i').exec(text.trim());
  if (inList) {
    const items = (inList[2] as string).match(new RegExp(literal, 'gi')) ?? [];
    if (items.length === 0) throw new SoqlError(`empty IN list: ${text.trim()}`);
    return { field: inList[1] as string, op: 'IN', values: items.map(parseLiteral) };
  }
  throw new SoqlError(`unexpected condition: ${text.trim()}`);
}

export function parseSoql(q: string): SoqlQuery {
  const m =
    /^\s*SELECT\s+(.+?)\s+FROM\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+(ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(
      q,
    );
  if (!m) throw new SoqlError(`unexpected token in query: ${q.trim().slice(0, 80)}`);
  const fields = (m[1] as string).split(',').map((f) => f.trim());
  for (const f of fields) {
    if (!new RegExp(`^${ident}$`).test(f)) throw new SoqlError(`unexpected token: ${f}`);
  }
  const where = m[3] ? (m[3] as string).split(/\s+AND\s+/i).map(parseCondition) : [];
  return {
    fields,
    object: m[2] as string,
    where,
    ...(m[4] ? { orderBy: { field: m[4], desc: (m[5] ?? '').toUpperCase() === 'DESC' } } : {}),
    ...(m[6] ? { limit: Number(m[6]) } : {}),
  };
}

/** Every field name the query mentions (for INVALID_FIELD checks). */
export function mentionedFields(q: SoqlQuery): string[] {
  return [...q.fields, ...q.where.map((c) => c.field), ...(q.orderBy ? [q.orderBy.field] : [])];
}

const eq = (a: unknown, b: Scalar) => (a ?? null) === b || (b !== null && String(a) === String(b));

export function matches(record: Readonly<Record<string, unknown>>, where: readonly Condition[]): boolean {
  return where.every((c) => {
    const v = record[c.field];
    if (c.op === 'IN') return c.values.some((x) => eq(v, x));
    return c.op === '=' ? eq(v, c.value) : !eq(v, c.value);
  });
}

/** Applies WHERE, ORDER BY and LIMIT to the records (field names already resolved to their stored case). */
export function run<R extends Readonly<Record<string, unknown>>>(records: readonly R[], q: SoqlQuery): R[] {
  let out = records.filter((r) => matches(r, q.where));
  const order = q.orderBy;
  if (order) {
    out = [...out].sort((a, b) => {
      const x = String(a[order.field] ?? '');
      const y = String(b[order.field] ?? '');
      return order.desc ? y.localeCompare(x) : x.localeCompare(y);
    });
  }
  return q.limit !== undefined ? out.slice(0, q.limit) : out;
}
