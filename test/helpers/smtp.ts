import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/** What the in-process SMTP server received: the envelope and the message, headers unfolded, body decoded. */
export interface Received {
  readonly from: string;
  readonly to: string[];
  readonly headers: Map<string, string>;
  readonly body: string;
}

function decodeQuotedPrintable(s: string): string {
  const bytes = s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function parseMessage(raw: string): { headers: Map<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  const rawBody = raw.slice(split + 4);
  const enc = headers.get('content-transfer-encoding')?.toLowerCase();
  const body =
    enc === 'quoted-printable'
      ? decodeQuotedPrintable(rawBody)
      : enc === 'base64'
        ? Buffer.from(rawBody, 'base64').toString('utf8')
        : rawBody;
  return { headers, body };
}

/** A real SMTP server in-process: `nobody@…` is refused 550 on RCPT, `busy@…` 450, everything else accepted. */
export async function startSmtp(): Promise<{
  url: string;
  received: Received[];
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  const refuse = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      if (address.address.startsWith('nobody@')) {
        return callback(refuse(550, `5.1.1 <${address.address}>: mailbox unavailable`));
      }
      if (address.address.startsWith('busy@')) return callback(refuse(450, '4.2.1 mailbox busy, try later'));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        received.push({
          from,
          to: session.envelope.rcptTo.map((r) => r.address),
          ...parseMessage(Buffer.concat(chunks).toString('utf8')),
        });
        callback();
      });
    },
  });
  // A client killed mid-session (a test SIGKILLs Dockside) resets its connection: not an error of the server.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('smtp server has no port');
  return {
    url: `smtp://127.0.0.1:${addr.port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
