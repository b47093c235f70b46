/**
 * Errors grouped by what the caller must do:
 *  - RetryableError: transient (network, broker, storage); try again later.
 *  - DeadLetterError: the input is well-formed but cannot be processed; park it with its reason.
 *  - RejectError: the caller sent bad input; answer it (HTTP 4xx / CLI exit 2) and publish nothing.
 *  - ConfigError: start-up cannot proceed; stop with a message naming the key.
 */
export abstract class DocksideError extends Error {
  abstract readonly code: string;
  abstract readonly action: 'retry' | 'dead-letter' | 'reject' | 'fix-config';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class RetryableError extends DocksideError {
  readonly code: string;
  readonly action = 'retry' as const;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export class DeadLetterError extends DocksideError {
  readonly code: string;
  readonly action = 'dead-letter' as const;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `lines.0.qty`; empty for the whole input. */
  readonly field: string;
  readonly value: unknown;
  readonly expected: string;
}

export class RejectError extends DocksideError {
  readonly code: string;
  readonly action = 'reject' as const;
  readonly issues: readonly FieldIssue[];
  readonly httpStatus: number;
  constructor(
    code: string,
    message: string,
    issues: readonly FieldIssue[] = [],
    options?: { cause?: unknown; httpStatus?: number },
  ) {
    super(message, options);
    this.code = code;
    this.issues = issues;
    this.httpStatus = options?.httpStatus ?? 400;
  }
}

export class ConfigError extends DocksideError {
  readonly code = 'CONFIG_INVALID';
  readonly action = 'fix-config' as const;
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.key = key;
  }
}

/**
 * The embedded ClickHouse data directory is held by another process (chDB allows one per directory), e.g. a
 * running `dockside up`/`demo`. The CLI exits 75 (EX_TEMPFAIL: try again once that process stopped).
 */
export class DataDirInUseError extends RetryableError {
  readonly exitCode = 75;
  constructor(
    readonly dir: string,
    readonly pid: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'DATA_DIR_IN_USE',
      `the data directory ${dir} is in use by a running Dockside${pid ? ` (pid ${pid})` : ''}; stop it first, or run both against a ClickHouse server (CLICKHOUSE_URL)`,
      options,
    );
  }
}

/** Short, log-safe rendering of an unknown value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined (missing)';
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Longest echoed value in an error answer: a huge field must not come back as a huge error body. */
export const ECHO_MAX_CHARS = 200;

/** A value as an error answer may echo it: long strings (and large objects, as JSON) cut with their length. */
export function echoValue(value: unknown, max = ECHO_MAX_CHARS): unknown {
  const cut = (s: string) => `${s.slice(0, max)}… (${s.length} chars)`;
  if (typeof value === 'string') return value.length > max ? cut(value) : value;
  if (value === null || typeof value !== 'object') return value;
  let text: string;
  try {
    text = JSON.stringify(value) ?? '';
  } catch {
    return '[unserialisable]';
  }
  return text.length > max ? cut(text) : value;
}

/** Issues whose values are safe to echo (see echoValue). */
export function echoIssues(issues: readonly FieldIssue[]): FieldIssue[] {
  return issues.map((i) => ({ ...i, field: String(echoValue(i.field)), value: echoValue(i.value) }));
}
