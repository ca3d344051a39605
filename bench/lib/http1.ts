import { connect, type Socket } from 'node:net';

export interface Response {
  status: number;
  /** Raw header block (lower-case it yourself to search). */
  head: string;
  body: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive HTTP/1.1 connection with one request in flight, written directly on a
 * socket so the load driver spends as little CPU as possible per request (node:http's
 * client costs several times more, and the driver shares the machine with the server).
 * Handles `Content-Length` and `chunked` bodies; anything else is an error.
 */
export class Connection {
  private socket: Socket | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: Response) => void; reject: (e: Error) => void } | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port, noDelay: true });
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('close', () => {
        if (this.socket === socket) this.socket = null;
        const pending = this.pending;
        this.pending = null;
        pending?.reject(new Error('connection closed'));
      });
      socket.on('error', () => {});
    });
  }

  async request(raw: string): Promise<Response> {
    if (this.pending) throw new Error('one request at a time per connection');
    if (!this.socket) this.socket = await this.open();
    this.buffer = Buffer.alloc(0);
    const done = new Promise<Response>((resolve, reject) => (this.pending = { resolve, reject }));
    this.socket.write(raw);
    return done;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const parsed = parseResponse(this.buffer);
    if (!parsed) return;
    const pending = this.pending;
    this.pending = null;
    this.buffer = Buffer.alloc(0);
    if (parsed instanceof Error) {
      this.socket?.destroy();
      pending?.reject(parsed);
    } else {
      if (/\r\nconnection: *close/i.test(parsed.head)) this.socket?.end();
      pending?.resolve(parsed);
    }
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }
}

/** A complete response, null while more bytes are needed, or an Error for what we do not speak. */
function parseResponse(buffer: Buffer): Response | Error | null {
  const end = buffer.indexOf(HEADER_END);
  if (end < 0) return null;
  const head = buffer.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  const bodyStart = end + 4;
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length) {
    const n = Number(length[1]);
    if (buffer.length < bodyStart + n) return null;
    return { status, head, body: buffer.toString('utf8', bodyStart, bodyStart + n) };
  }
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
    const parts: Buffer[] = [];
    let at = bodyStart;
    for (;;) {
      const lineEnd = buffer.indexOf('\r\n', at);
      if (lineEnd < 0) return null;
      const size = parseInt(buffer.toString('latin1', at, lineEnd), 16);
      if (Number.isNaN(size)) return new Error('bad chunk size');
      if (size === 0) {
        if (buffer.length < lineEnd + 4) return null;
        return { status, head, body: Buffer.concat(parts).toString('utf8') };
      }
      if (buffer.length < lineEnd + 2 + size + 2) return null;
      parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  if (status === 204 || status === 304) return { status, head, body: '' };
  return new Error(`response without a length: ${head.split('\r\n')[0]}`);
}

/** A request as bytes; `Content-Length` is computed. */
export function rawRequest(method: string, path: string, headers: Record<string, string>, body = ''): string {
  let text = `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n`;
  for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
  if (body || method !== 'GET') text += `content-length: ${Buffer.byteLength(body)}\r\n`;
  return `${text}\r\n${body}`;
}

export function jsonRequest(path: string, body: unknown, headers: Record<string, string> = {}): string {
  return rawRequest('POST', path, { 'content-type': 'application/json', ...headers }, JSON.stringify(body));
}

export function formRequest(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): string {
  return rawRequest(
    'POST',
    path,
    { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    new URLSearchParams(fields).toString(),
  );
}

/** One request on a fresh connection (setup calls, not measured). */
export async function once(port: number, raw: string): Promise<Response> {
  const connection = new Connection('127.0.0.1', port);
  try {
    return await connection.request(raw);
  } finally {
    connection.close();
  }
}
