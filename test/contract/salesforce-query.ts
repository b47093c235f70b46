import { canonicalField, type ObjectDef, type SfRecord, sfError } from './salesforce-objects.ts';
import { mentionedFields, parseSoql, run, SoqlError } from './salesforce-soql.ts';

/**
 * The contract server's `query` resource: runs the SOQL subset over the records and pages the result the
 * way Salesforce does — `{ totalSize, done, records, nextRecordsUrl? }`, the next batch fetched from
 * `/services/data/vXX.X/query/<locator>-<offset>`.
 */
export class QueryEndpoint {
  private readonly cursors = new Map<string, { object: string; records: SfRecord[] }>();
  private seq = 0;

  constructor(
    private readonly objects: Readonly<Record<string, ObjectDef>>,
    private readonly records: (object: string) => SfRecord[],
    private readonly pageSize: number,
  ) {}

  /** GET query?q=… (locator undefined) or GET query/<locator>-<offset>. */
  answer(version: string, locator: string | undefined, q: string | null): [number, unknown] {
    if (locator) {
      const m = /^(.+)-(\d+)$/.exec(locator);
      const key = m?.[1];
      if (!m || !key || !this.cursors.has(key)) {
        return [400, [sfError('INVALID_QUERY_LOCATOR', 'invalid query locator')]];
      }
      return [200, this.page(version, key, Number(m[2]))];
    }
    if (!q) return [400, [sfError('MALFORMED_QUERY', 'A query string has to be specified')]];
    let parsed: ReturnType<typeof parseSoql>;
    try {
      parsed = parseSoql(q);
    } catch (err) {
      return [400, [sfError('MALFORMED_QUERY', err instanceof SoqlError ? err.message : String(err))]];
    }
    const def = this.objects[parsed.object];
    if (!def) return [400, [sfError('INVALID_TYPE', `sObject type '${parsed.object}' is not supported.`)]];
    const unknown = mentionedFields(parsed).find((f) => !canonicalField(def, f));
    if (unknown) {
      return [400, [sfError('INVALID_FIELD', `No such column '${unknown}' on entity '${parsed.object}'.`)]];
    }
    const canon = (name: string) => canonicalField(def, name) as string;
    const resolved = {
      ...parsed,
      fields: parsed.fields.map(canon),
      where: parsed.where.map((c) => ({ ...c, field: canon(c.field) })),
      ...(parsed.orderBy ? { orderBy: { ...parsed.orderBy, field: canon(parsed.orderBy.field) } } : {}),
    };
    // Each row keeps its Id aside for attributes.url, whether or not the query selected it.
    const rows = run(this.records(parsed.object), resolved).map((r) => {
      const out: SfRecord = { __id: r.Id ?? null };
      for (const f of resolved.fields) out[f] = r[f] ?? null;
      return out;
    });
    const key = `01g${(++this.seq).toString(36).toUpperCase().padStart(12, '0')}`;
    this.cursors.set(key, { object: parsed.object, records: rows });
    return [200, this.page(version, key, 0)];
  }

  private page(version: string, key: string, offset: number): unknown {
    const cursor = this.cursors.get(key) as { object: string; records: SfRecord[] };
    const slice = cursor.records.slice(offset, offset + this.pageSize);
    const done = offset + this.pageSize >= cursor.records.length;
    if (done) this.cursors.delete(key);
    return {
      totalSize: cursor.records.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/${version}/query/${key}-${offset + this.pageSize}` }),
      records: slice.map(({ __id, ...r }) => ({
        attributes: {
          type: cursor.object,
          url: `/services/data/${version}/sobjects/${cursor.object}/${__id}`,
        },
        ...r,
      })),
    };
  }
}
