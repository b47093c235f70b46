/**
 * Personal-data redaction for text that leaves Dockside (customer update drafts, notifications) and for the
 * inputs kept beside a draft. Pure. Every function reports what it masked as counts by kind, so a caller can
 * log that redaction happened without logging the data itself.
 */
export const piiKinds = ['email', 'phone', 'name', 'address'] as const;
export type PiiKind = (typeof piiKinds)[number];
export type RedactionCounts = Record<PiiKind, number>;

export const MASK: Readonly<Record<PiiKind, string>> = {
  email: '[email]',
  phone: '[phone]',
  name: '[name]',
  address: '[address]',
};

export function noRedactions(): RedactionCounts {
  return { email: 0, phone: 0, name: 0, address: 0 };
}

export function addCounts(a: RedactionCounts, b: RedactionCounts): RedactionCounts {
  return {
    email: a.email + b.email,
    phone: a.phone + b.phone,
    name: a.name + b.name,
    address: a.address + b.address,
  };
}

export function totalMasked(c: RedactionCounts): number {
  return c.email + c.phone + c.name + c.address;
}

const EMAIL =
  /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+/g;

/**
 * Phone shapes, most specific first. Digits glued to letters, `-`, `_`, `.`, `:` or `/` are left alone, so
 * ids (SHP-555-123-4567), dates (2026-12-03) and times (14:00) are not taken for numbers.
 *  - international: `+` country code then groups (`+55 11 91234-5678`, `+1 (555) 123-4567`), 8-15 digits (E.164);
 *  - US: `(555) 123-4567`, `555-123-4567`, `555.123.4567`, optional leading `1-`;
 *  - BR: `(11) 91234-5678`, `11 3456-7890`;
 *  - a bare run of 10-11 digits (a number written without separators).
 */
const PHONES: readonly RegExp[] = [
  /(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}(?![\w])/g,
  /(?<![\w+.:/-])(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-]|[.:/]\d)/g,
  /(?<![\w+.:/-])(?:\(\d{2}\) ?|\d{2} )9?\d{4}[ -]\d{4}(?![\w-]|[.:/]\d)/g,
  /(?<![\w+.:/-])\d{10,11}(?![\w-]|[.:/]\d)/g,
];

const digitCount = (s: string) => s.replace(/\D/g, '').length;

/** Masks e-mail addresses and phone numbers in free text. */
export function redactPii(text: string): { text: string; masked: RedactionCounts } {
  const masked = noRedactions();
  let out = text.replace(EMAIL, () => {
    masked.email += 1;
    return MASK.email;
  });
  PHONES.forEach((re, i) => {
    out = out.replace(re, (m) => {
      // The international shape is loose; E.164 bounds the digit count.
      if (i === 0 && (digitCount(m) < 8 || digitCount(m) > 15)) return m;
      masked.phone += 1;
      return MASK.phone;
    });
  });
  return { text: out, masked };
}

const norm = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

const NAME_KEYS = new Set([
  'name',
  'fullname',
  'firstname',
  'lastname',
  'middlename',
  'givenname',
  'familyname',
  'surname',
  'personname',
  'contact',
  'contactname',
  'contactperson',
  'recipient',
  'recipientname',
  'receiver',
  'receivername',
  'receivedby',
  'signedby',
  'signer',
  'signername',
  'signature',
  'consignee',
  'consigneename',
  'shiptoname',
  'deliveredto',
  'attention',
  'attn',
  'drivername',
  'customername',
  'buyername',
]);
const ADDRESS_KEYS = new Set([
  'address',
  'street',
  'streetaddress',
  'shipto',
  'addressline',
  'address1',
  'address2',
]);
const EMAIL_KEYS = new Set(['email', 'mail', 'emailaddress']);
const PHONE_KEYS = new Set([
  'phone',
  'phonenumber',
  'mobile',
  'cell',
  'cellphone',
  'tel',
  'telephone',
  'fax',
]);

/** The kind of personal data a field of this name holds, if its name says so (`contactEmail` → email). */
export function piiKindOfKey(key: string): PiiKind | undefined {
  const k = norm(key);
  if (EMAIL_KEYS.has(k) || k.endsWith('email')) return 'email';
  if (PHONE_KEYS.has(k) || k.endsWith('phone') || k.endsWith('mobile')) return 'phone';
  if (ADDRESS_KEYS.has(k) || /^addressline\d$/.test(k) || k.endsWith('address') || k.endsWith('street')) {
    return 'address';
  }
  if (NAME_KEYS.has(k)) return 'name';
  return undefined;
}

export interface RedactRecordOptions {
  /** Keys whose values are never touched (e.g. event ids that citations refer to). */
  readonly keepKeys?: readonly string[];
}

/**
 * A copy of a JSON-like value where fields named like personal data (name, contactName, email, phone, address,
 * street, recipient, signedBy…) are masked whole, and every other string goes through redactPii. The shape is
 * kept, except that a masked non-string leaf (a phone stored as a number) becomes the mask text.
 */
export function redactRecord<T>(
  value: T,
  opts: RedactRecordOptions = {},
): { value: T; masked: RedactionCounts } {
  const masked = noRedactions();
  const keep = new Set(opts.keepKeys ?? []);
  const maskAll = (v: unknown, kind: PiiKind): unknown => {
    if (v === null || v === undefined || v === '') return v;
    if (Array.isArray(v)) return v.map((x) => maskAll(x, kind));
    if (typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskAll(x, kind)]));
    }
    masked[kind] += 1;
    return MASK[kind];
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = redactPii(v);
      masked.email += r.masked.email;
      masked.phone += r.masked.phone;
      return r.text;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => {
          if (keep.has(k)) return [k, x];
          const kind = piiKindOfKey(k);
          return [k, kind ? maskAll(x, kind) : walk(x)];
        }),
      );
    }
    return v;
  };
  // The walk rebuilds the same shape (see above), so the input's type still describes it.
  return { value: walk(value) as T, masked };
}

/** `***@example.com`: the only part of an address logs and error messages may show. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return at >= 0 ? `***@${address.slice(at + 1).toLowerCase()}` : '[not an address]';
}
