/**
 * Personal data out of logs and out of what read-only people see: keys that can carry names, addresses,
 * contacts or secrets are replaced at any depth. Pure; used by the logger and the dead-letter API.
 */
export const PERSONAL_KEYS: ReadonlySet<string> = new Set(
  [
    'email',
    'phone',
    'name',
    'contactName',
    'address',
    'street',
    'password',
    'authorization',
    'cookie',
    'token',
    'secret',
  ].map((k) => k.toLowerCase()),
);

export const REDACTED = '[redacted]';

/** Beyond this depth a value is replaced whole: logs stay bounded and a hostile nesting cannot overflow. */
const MAX_DEPTH = 32;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

/**
 * A copy of `value` with every personal key's value replaced; objects without one are returned as they
 * are. Errors are left to the log's error serializer: their `name` is the class, not a person.
 */
export function redactPersonal(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    const out = value.map((v) => redactPersonal(v, depth + 1, seen));
    return out.some((r, i) => r !== value[i]) ? out : value;
  }
  // Only plain records are walked: class instances (buffers, dates, clients) keep their own rendering.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = PERSONAL_KEYS.has(k.toLowerCase()) && v != null ? REDACTED : redactPersonal(v, depth + 1, seen);
    changed ||= r !== v;
    out[k] = r;
  }
  return changed ? out : value;
}

/**
 * Raw input as text (a JSON document, NDJSON, CSV, X12 …) with personal data removed: JSON lines are
 * redacted by key like logs; anything else has its e-mail addresses masked (the one pattern a key cannot name).
 */
export function redactRawText(raw: string, parse: (text: string) => unknown): string {
  const asJson = (text: string): string | undefined => {
    const t = text.trim();
    if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
    try {
      return JSON.stringify(redactPersonal(parse(t)));
    } catch {
      return undefined;
    }
  };
  return (
    asJson(raw) ??
    raw
      .split('\n')
      .map((line) => asJson(line) ?? line.replace(EMAIL, REDACTED))
      .join('\n')
  );
}
