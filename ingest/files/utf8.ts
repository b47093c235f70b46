import { isUtf8 } from 'node:buffer';
import type { RejectError } from '../../core/mod.ts';
import { fieldError } from './record.ts';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Decodes strictly: a lenient decoder would turn bad bytes into U+FFFD and let a corrupted id or
 * quantity through looking valid. Returns the text, or a RejectError naming the first bad byte.
 */
export function decodeUtf8(bytes: Uint8Array, what: string | (() => string)): string | RejectError {
  if (isUtf8(bytes)) {
    // Buffer's native slice is several times cheaper than TextDecoder on short records; the decoder
    // stays for a leading BOM, which it strips (and a slice would keep).
    return Buffer.isBuffer(bytes) && !startsWithBom(bytes) ? bytes.toString('utf8') : decoder.decode(bytes);
  }
  const at = firstInvalidUtf8(bytes);
  const shown = Array.from(bytes.subarray(at, at + 4), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(
    ' ',
  );
  return fieldError(
    'INVALID_UTF8',
    typeof what === 'string' ? what : what(),
    `bytes ${shown} at byte ${at}`,
    'valid UTF-8 text',
  );
}

/** Whether the bytes open with the UTF-8 byte order mark EF BB BF. */
export const startsWithBom = (b: Uint8Array) => b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;

/** Index of the first byte that starts an invalid UTF-8 sequence (overlong, surrogate, > U+10FFFF, cut). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}
