import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  createLogger,
  echoValue,
  loadConfig,
  RejectError,
  RetryableError,
  redactPersonal,
  redactRawText,
} from '../../core/mod.ts';
import { problemOf } from '../../dashboards/errors.ts';
import { hostnameOf, windowText } from '../../dashboards/hardening.ts';

const opts = { bodyLimit: 1024, requestId: 'req_1' };

describe('problemOf: one problem body for every error', () => {
  it('gives an unexpected error a generic message (details only in the log)', () => {
    const p = problemOf(new TypeError('secret table dockside.users broke at /srv/x.ts:12'), opts);
    expect(p).toMatchObject({ status: 500, code: 'INTERNAL', log: true });
    expect(p.message).not.toContain('secret');
    expect(p.message).toContain('req_1');
  });

  it('maps Fastify codes to Dockside codes and names the body limit', () => {
    const fst = (code: string, statusCode: number) => Object.assign(new Error('x'), { code, statusCode });
    expect(problemOf(fst('FST_ERR_CTP_INVALID_JSON_BODY', 400), opts)).toMatchObject({
      status: 400,
      code: 'JSON_INVALID',
    });
    const big = problemOf(fst('FST_ERR_CTP_BODY_TOO_LARGE', 413), opts);
    expect(big).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(big.message).toContain('1024 bytes');
    expect(problemOf(fst('FST_ERR_SOMETHING_NEW', 400), opts)).toMatchObject({ code: 'REQUEST_INVALID' });
  });

  it('keeps a retryable error retryable (503 + Retry-After) and cuts echoed values and long messages', () => {
    expect(problemOf(new RetryableError('PUBLISH_FAILED', 'no ack'), opts)).toMatchObject({
      status: 503,
      headers: { 'retry-after': '1' },
    });
    const p = problemOf(
      new RejectError('EVENT_INVALID', 'm'.repeat(5_000), [
        { field: 'note', value: 'v'.repeat(10_000), expected: 'short' },
      ]),
      opts,
    );
    expect(p.message.length).toBeLessThan(2_100);
    expect(p.issues?.[0]?.value).toBe(`${'v'.repeat(200)}… (10000 chars)`);
    expect(echoValue({ a: 'x'.repeat(300) })).toMatch(/^\{"a":"x+… \(308 chars\)$/);
  });
});

describe('redaction', () => {
  it('reaches personal fields at any depth, leaves other values and errors alone', () => {
    const input = { a: { b: [{ c: { email: 'j@x.io', ok: 1 } }] }, name: 'Jane', n: 2 };
    expect(redactPersonal(input)).toEqual({
      a: { b: [{ c: { email: '[redacted]', ok: 1 } }] },
      name: '[redacted]',
      n: 2,
    });
    const clean = { a: { b: 1 } };
    expect(redactPersonal(clean)).toBe(clean);
  });

  it('logs nested personal data redacted and an error with its class name', () => {
    const lines: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ logLevel: 'info' }, out);
    log.info({ deep: { x: { y: { phone: '+1 555' } } }, err: new RangeError('boom') }, 'm');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.deep.x.y.phone).toBe('[redacted]');
    expect(line.err.type).toBe('RangeError');
    expect(line.err.message).toBe('boom');
  });

  it('redacts raw input by key when it is JSON, masks e-mail addresses otherwise', () => {
    const parse = (t: string): unknown => JSON.parse(t);
    expect(redactRawText('{"c":{"email":"j@x.io"},"id":"e1"}', parse)).toBe(
      '{"c":{"email":"[redacted]"},"id":"e1"}',
    );
    expect(redactRawText('N1*ST*Jane*92*jane.doe@acme.example~', parse)).toBe('N1*ST*Jane*92*[redacted]~');
  });
});

describe('HTTP exposure config', () => {
  it('allows loopback and the public URL host by default, any host with *', () => {
    const c = loadConfig({ DOCKSIDE_PUBLIC_URL: 'https://Dockside.Example.com/app' });
    expect(c.http.allowedHosts).toEqual(['localhost', '127.0.0.1', '[::1]', 'dockside.example.com']);
    expect(loadConfig({ DOCKSIDE_ALLOWED_HOSTS: '*' }).http.allowedHosts).toBeUndefined();
    expect(loadConfig({ DOCKSIDE_TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(() => loadConfig({ DOCKSIDE_ALLOWED_HOSTS: 'a.example:8080' })).toThrow(
      /DOCKSIDE_ALLOWED_HOSTS="a.example:8080" is invalid: expected .*without ports/,
    );
  });

  it('reads a Host header without its port and states windows in plain units', () => {
    expect(hostnameOf('[::1]:8080')).toBe('[::1]');
    expect(hostnameOf('LocalHost:80')).toBe('localhost');
    expect(windowText(60_000)).toBe('1 min');
    expect(windowText(1_500)).toBe('1.5 s');
  });
});
