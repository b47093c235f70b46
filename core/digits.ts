/**
 * The decimal value of the `len` ASCII digits at `at` in `text`, or -1 when any of them is not 0-9
 * (or lies past the end). Fixed-width date and time fields are read with it instead of a regex and
 * Number(): both the X12 converter and the detector run it for every event.
 */
export function decimalAt(text: string, at: number, len: number): number {
  let v = 0;
  for (let i = at; i < at + len; i++) {
    const c = text.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}
