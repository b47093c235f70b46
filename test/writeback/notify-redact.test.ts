import { describe, expect, it } from 'vitest';
import { maskAddress, redactPii, redactRecord } from '../../writeback/notify/redact.ts';

describe('redactPii', () => {
  it('masks e-mail addresses and counts them', () => {
    const r = redactPii('call back jane.doe+wismo@acme.example.com or OPS@Example.org, thanks');
    expect(r.text).toBe('call back [email] or [email], thanks');
    expect(r.masked).toEqual({ email: 2, phone: 0, name: 0, address: 0 });
  });

  it.each([
    ['international', 'reach me on +55 11 91234-5678 today'],
    ['international with area code in parentheses', 'reach me on +1 (555) 123-4567 today'],
    ['international UK', 'reach me on +44 20 7946 0958 today'],
    ['E.164 without separators', 'reach me on +5511912345678 today'],
    ['US dashes', 'reach me on 555-123-4567 today'],
    ['US parentheses', 'reach me on (555) 123-4567 today'],
    ['US dots', 'reach me on 555.123.4567 today'],
    ['US with leading 1', 'reach me on 1-555-123-4567 today'],
    ['BR mobile', 'reach me on (11) 91234-5678 today'],
    ['BR landline', 'reach me on (21) 3456-7890 today'],
    ['BR without parentheses', 'reach me on 11 91234-5678 today'],
    ['digits only', 'reach me on 5551234567 today'],
  ])('masks a phone number (%s)', (_kind, text) => {
    const r = redactPii(text);
    expect(r.text).toBe('reach me on [phone] today');
    expect(r.masked.phone).toBe(1);
  });

  it.each([
    'SHP-000123',
    'ORD-2026-1203-0001',
    'SHP-555-123-4567',
    '2026-12-03T14:00:00Z',
    '14:00 UTC on 3 Dec',
    'WH-ATL1 lane ATL-MEM',
    'qty 12 of 100',
    '+5 units',
    'v62.0',
    'late_scan:0123abcd',
  ])('leaves ids, dates, times and quantities alone: %s', (text) => {
    const r = redactPii(text);
    expect(r.text).toBe(text);
    expect(r.masked.phone + r.masked.email).toBe(0);
  });
});

describe('redactRecord', () => {
  it('masks person-like fields whole, and e-mails/phones inside other strings, keeping the shape', () => {
    const input = {
      id: 'evt-1',
      name: 'Jane Doe',
      contactName: 'John Roe',
      email: 'jane@acme.example',
      phone: 5551234567,
      address: { street: '1 Main St', city: 'Atlanta' },
      street: '2 Side Rd',
      recipient: 'Mary Major',
      signedBy: 'M. Major',
      lines: [{ sku: 'SKU-1', qty: 3 }],
      location: 'Memphis, TN (dock phone 555-123-4567)',
      notes: ['left with neighbour, mail neighbour@example.net'],
      shipmentId: 'SHP-9',
    };
    const { value, masked } = redactRecord(input, { keepKeys: ['id'] });
    expect(value).toEqual({
      id: 'evt-1',
      name: '[name]',
      contactName: '[name]',
      email: '[email]',
      phone: '[phone]',
      address: { street: '[address]', city: '[address]' },
      street: '[address]',
      recipient: '[name]',
      signedBy: '[name]',
      lines: [{ sku: 'SKU-1', qty: 3 }],
      location: 'Memphis, TN (dock phone [phone])',
      notes: ['left with neighbour, mail [email]'],
      shipmentId: 'SHP-9',
    });
    expect(masked).toEqual({ email: 2, phone: 2, name: 4, address: 3 });
    // The input is not changed.
    expect(input.name).toBe('Jane Doe');
  });

  it('recognises suffixed keys (ownerEmail, contactPhone, shippingAddress) and leaves kept keys untouched', () => {
    const { value } = redactRecord(
      { ownerEmail: 'a@b.example', contactPhone: '123', shippingAddress: 'x', id: '+1 555 123 4567' },
      { keepKeys: ['id'] },
    );
    expect(value).toEqual({
      ownerEmail: '[email]',
      contactPhone: '[phone]',
      shippingAddress: '[address]',
      id: '+1 555 123 4567',
    });
  });

  it('maskAddress shows only the domain', () => {
    expect(maskAddress('Jane.Doe@Acme.Example')).toBe('***@acme.example');
    expect(maskAddress('nonsense')).toBe('[not an address]');
  });
});
