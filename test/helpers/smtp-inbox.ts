import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  /** To and Cc addresses, plus envelope-only recipients (Bcc). */
  to: string[];
  from: string;
  subject: string;
  /** The text/plain body, decoded, with \n line ends. */
  text: string;
  html?: string;
  raw: string;
}

export interface WaitForMailOptions {
  subject?: RegExp;
  timeoutMs?: number;
  /** A `messages.length` read earlier: only mail received since then counts. */
  after?: number;
}

export interface SmtpInbox {
  /** `smtp://127.0.0.1:<port>`, to pass as SMTP_URL. */
  readonly url: string;
  readonly messages: ReceivedMail[];
  /** The newest matching mail already received, or the next one to arrive. */
  waitForMail(to: string, options?: WaitForMailOptions): Promise<ReceivedMail>;
  /** Answers the next `count` deliveries with `responseCode` (a temporary failure by default). */
  failNext(count?: number, responseCode?: number): void;
  clear(): void;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * A real SMTP server on a free local port that keeps what it receives, for tests.
 * `listenPort` reopens an inbox where an earlier one listened (a mail server coming back).
 */
export async function startSmtpInbox(listenPort = 0): Promise<SmtpInbox> {
  const messages: ReceivedMail[] = [];
  // Called with nothing when mail arrives, with an error when the inbox closes.
  const waiters = new Set<(closed?: Error) => void>();
  const failures = { count: 0, responseCode: 451 };

  const server = new SMTPServer({
    authOptional: true,
    // An SMTP_URL with user:password must work over plain text, as against a local relay.
    allowInsecureAuth: true,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
    disabledCommands: ['STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    logger: false,
    disableReverseLookup: true,
    closeTimeout: 500,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(smtpError('Message exceeds the size limit', 552));
        if (failures.count > 0) {
          failures.count--;
          return callback(smtpError('Delivery refused by inbox.failNext()', failures.responseCode));
        }
        messages.push(parseMail(Buffer.concat(chunks), session));
        for (const waiter of [...waiters]) waiter();
        callback();
      });
    },
  });
  // A client dropping its connection is reported as a server error; unhandled, it would crash Jest.
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitForMail(to, { subject, timeoutMs = 5_000, after = 0 } = {}) {
      const wanted = to.toLowerCase();
      const find = () =>
        messages
          .slice(after)
          .reverse()
          .find((mail) => mail.to.some((address) => address.toLowerCase() === wanted) && (!subject || mail.subject.search(subject) !== -1));
      return new Promise<ReceivedMail>((resolve, reject) => {
        const finish = (error?: Error, mail?: ReceivedMail) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (mail) resolve(mail);
          else reject(error);
        };
        const waiter = (closed?: Error) => {
          const mail = closed ? undefined : find();
          if (closed || mail) finish(closed, mail);
        };
        const timer = setTimeout(() => {
          const received = messages.map((mail) => `${mail.to.join(',')}: ${mail.subject}`).join('; ') || 'nothing';
          finish(new Error(`No mail to ${to}${subject ? ` matching ${subject}` : ''} within ${timeoutMs} ms (received: ${received})`));
        }, timeoutMs);
        waiters.add(waiter);
        waiter();
      });
    },
    failNext(count = 1, responseCode = 451) {
      Object.assign(failures, { count, responseCode });
    },
    clear() {
      messages.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const waiter of [...waiters]) waiter(new Error('SMTP inbox closed'));
        server.close(() => resolve());
      }),
  };
}

/** Every http(s) link in a text body, without trailing sentence punctuation. */
export function linksIn(text: string): string[] {
  return (text.match(/https?:\/\/[^\s<>"'()]+/g) ?? []).map((link) => link.replace(/[.,;:!?]+$/, ''));
}

/** The `token` parameter of a link: in the query, or in the fragment (where SPAs keep it out of server logs). */
export function tokenFromLink(link: string): string {
  const url = new URL(link);
  const token = url.searchParams.get('token') ?? new URLSearchParams(url.hash.slice(1)).get('token');
  if (!token) throw new Error(`No token parameter in ${link}`);
  return token;
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

interface Entity {
  headers: Map<string, string>;
  /** One character per byte (latin1), decoded once the transfer encoding and charset are known. */
  body: string;
}

function parseMail(raw: Buffer, session: SMTPServerSession): ReceivedMail {
  // The line break that ends the DATA section belongs to SMTP, not to a single-part body.
  const entity = parseEntity(raw.toString('latin1').replace(/\r?\n$/, ''));
  const to = [...addresses(entity.headers.get('to')), ...addresses(entity.headers.get('cc'))];
  for (const { address } of session.envelope.rcptTo) {
    if (!to.some((known) => known.toLowerCase() === address.toLowerCase())) to.push(address);
  }
  const bodies: { text?: string; html?: string } = {};
  collectBodies(entity, bodies);
  return {
    to,
    from: addresses(entity.headers.get('from'))[0] ?? '',
    subject: decodeEncodedWords(entity.headers.get('subject') ?? ''),
    text: bodies.text ?? '',
    html: bodies.html,
    raw: raw.toString('utf8'),
  };
}

function parseEntity(source: string): Entity {
  const end = /^\r?\n|\r?\n\r?\n/.exec(source);
  const head = end ? source.slice(0, end.index) : source;
  const headers = new Map<string, string>();
  // Unfolding removes the line break only; the whitespace that follows stays.
  for (const line of head.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    // SMTPUTF8 allows raw UTF-8 in header values.
    if (colon > 0 && !headers.has(name)) headers.set(name, Buffer.from(line.slice(colon + 1).trim(), 'latin1').toString('utf8'));
  }
  return { headers, body: end ? source.slice(end.index + end[0].length) : '' };
}

function collectBodies(entity: Entity, found: { text?: string; html?: string }): void {
  const [type = 'text/plain', ...rest] = (entity.headers.get('content-type') ?? 'text/plain').split(';');
  const params = new Map(
    [...rest.join(';').matchAll(/([^=\s;]+)\s*=\s*(?:"([^"]*)"|([^;\s]*))/g)].map((m) => [m[1].toLowerCase(), m[2] ?? m[3]]),
  );
  const mime = type.trim().toLowerCase();
  if (mime.startsWith('multipart/')) {
    for (const part of multipartParts(entity.body, params.get('boundary') ?? '')) collectBodies(parseEntity(part), found);
    return;
  }
  if (/^\s*attachment/i.test(entity.headers.get('content-disposition') ?? '')) return;
  const key = mime === 'text/plain' ? 'text' : mime === 'text/html' ? 'html' : undefined;
  if (key && found[key] === undefined) found[key] = decodeBody(entity, params.get('charset') ?? 'utf-8');
}

function multipartParts(body: string, boundary: string): string[] {
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    const trimmed = line.trimEnd();
    if (trimmed === `--${boundary}` || trimmed === `--${boundary}--`) {
      if (current) parts.push(current.join('\r\n'));
      current = trimmed.endsWith('--') ? undefined : [];
      if (!current) break;
    } else current?.push(line);
  }
  return parts;
}

function decodeBody(entity: Entity, charset: string): string {
  const encoding = (entity.headers.get('content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  let bytes: Buffer;
  if (encoding === 'base64') bytes = Buffer.from(entity.body.replace(/\s+/g, ''), 'base64');
  // Transport padding before a line end is not content; `=` at a line end is a soft break.
  else if (encoding === 'quoted-printable') bytes = hexBytes(entity.body.replace(/[ \t]+(?=\r?\n|$)/g, '').replace(/=\r?\n/g, ''));
  else bytes = Buffer.from(entity.body, 'latin1');
  return decodeCharset(bytes, charset).replace(/\r\n/g, '\n');
}

const ENCODED_WORD = /=\?([^?*]+)(?:\*[^?]*)?\?([BbQq])\?([^?]*)\?=/g;
const ENCODED_WORD_RUN = /=\?[^?]+\?[BbQq]\?[^?]*\?=(?:\s+=\?[^?]+\?[BbQq]\?[^?]*\?=)*/g;

/** RFC 2047: adjacent encoded words form one run (the whitespace between is not text; a character may straddle two). */
function decodeEncodedWords(value: string): string {
  return value.replace(ENCODED_WORD_RUN, (run) => {
    let charset = 'utf-8';
    const bytes: Buffer[] = [];
    for (const [, wordCharset, encoding, text] of run.matchAll(ENCODED_WORD)) {
      charset = wordCharset;
      bytes.push(encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : hexBytes(text.replace(/_/g, ' ')));
    }
    return decodeCharset(Buffer.concat(bytes), charset);
  });
}

function hexBytes(text: string): Buffer {
  return Buffer.from(
    text.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
}

function decodeCharset(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** Addresses of an address-list header; display names (quoted ones may hold commas) are dropped. */
function addresses(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .split(',')
    .map((part) => (/<([^>]*)>/.exec(part)?.[1] ?? part).trim())
    .filter((address) => address.includes('@'));
}
