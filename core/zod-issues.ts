import type { z } from 'zod';
import { describeValue, type FieldIssue, RejectError } from './errors.ts';

/** Turns zod issues into field/value/expected triples, reading the offending value from the input. */
export function fieldIssues(error: z.ZodError, input: unknown): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    return { field: path.join('.'), value: valueAt(input, issue.path), expected: expectedOf(issue) };
  });
}

export function formatIssues(issues: readonly FieldIssue[]): string {
  return issues
    .map((i) => `${i.field || '(input)'}: got ${describeValue(i.value)}, expected ${i.expected}`)
    .join('; ');
}

/** Parses a request's params, query or body; a bad one is a 400 REQUEST_INVALID naming field, value, expected. */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = fieldIssues(r.error, input);
  throw new RejectError('REQUEST_INVALID', formatIssues(issues), issues);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_union':
      return issue.message;
    case 'too_small':
      return issue.origin === 'string' || issue.origin === 'array'
        ? `${issue.origin} of length >= ${String(issue.minimum)}`
        : `${issue.origin} ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'string' || issue.origin === 'array'
        ? `${issue.origin} of length <= ${String(issue.maximum)}`
        : `${issue.origin} ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.format === 'datetime'
        ? 'an RFC 3339 timestamp with offset, e.g. 2026-01-31T14:05:00-03:00'
        : issue.format === 'regex'
          ? issue.message
          : `format ${issue.format}`;
    case 'unrecognized_keys':
      return `no unknown keys (${issue.keys.join(', ')})`;
    default:
      return issue.message;
  }
}
