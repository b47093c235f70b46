import { RejectError } from './errors.ts';

/** Default cap on JSON nesting: canonical events are 2–3 levels deep, EPCIS documents about 12. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * Parses JSON text into `unknown` after checking its nesting depth without recursion, so a
 * hostile `[[[[…` of any depth is an explicit rejection instead of a stack overflow in whatever walks
 * the value afterwards (zod, JSON.stringify, our own mappers). Callers validate the result with zod.
 */
export function parseJsonGuarded(text: string, maxDepth: number, what: string): unknown {
  assertJsonDepth(text, maxDepth, what);
  try {
    const value: unknown = JSON.parse(text);
    return value;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new RejectError(
      'JSON_INVALID',
      `${what}: not valid JSON (${detail})`,
      [{ field: what, value: text.slice(0, 80), expected: 'valid JSON' }],
      { cause },
    );
  }
}

/** Throws JSON_TOO_DEEP (400) when `text` nests deeper than `maxDepth`; the HTTP body parser checks with it too. */
export function assertJsonDepth(text: string, maxDepth: number, what: string): void {
  const deepAt = depthExceededAt(text, maxDepth);
  if (deepAt === -1) return;
  throw new RejectError(
    'JSON_TOO_DEEP',
    `${what}: nesting deeper than ${maxDepth} levels at character ${deepAt}`,
    [{ field: what, value: `depth > ${maxDepth}`, expected: `JSON nested at most ${maxDepth} levels` }],
  );
}

/** Index of the bracket that first exceeds `maxDepth`, or -1. Strings are skipped, escapes honoured. */
export function depthExceededAt(text: string, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > maxDepth) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
}
