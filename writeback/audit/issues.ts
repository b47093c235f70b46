import type { z } from 'zod';
import { type FieldIssue, fieldIssues, formatIssues, RejectError } from '../../core/mod.ts';

/**
 * A RejectError from a zod failure, naming field, value and expectation. A pattern's own message (e.g.
 * "a chain name like dec.3") replaces core's generic "format regex", which would not tell a caller what to send.
 */
export function rejectFrom(
  code: string,
  error: z.ZodError,
  input: unknown,
  opts: { field?: (path: string) => string; prefix?: string } = {},
): RejectError {
  const issues: FieldIssue[] = fieldIssues(error, input).map((issue, i) => {
    const zi = error.issues[i];
    const expected =
      zi?.code === 'invalid_format' && zi.format === 'regex' && zi.message ? zi.message : issue.expected;
    return { ...issue, field: opts.field ? opts.field(issue.field) : issue.field, expected };
  });
  return new RejectError(code, `${opts.prefix ?? ''}${formatIssues(issues)}`, issues);
}
