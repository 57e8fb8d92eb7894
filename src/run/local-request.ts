// A request handed to a front door in process (dispatch/local-delivery.ts) in the shape the front door reads of
// an IncomingMessage, and the answer in the shape it writes to a ServerResponse: the front door runs its one
// request path on them, so an in-process delivery is decided, logged and proxied as the HTTP request would be.

import type { LocalAnswer, LocalRequest } from '../dispatch/local-delivery.js';
import type { OutgoingHttpHeaders } from 'node:http';
import type { ProxiedRequest, ProxiedResponse } from './proxy.js';

/** The request as it would have arrived over a loopback connection from `remoteAddress`. */
export class LocalIncoming implements ProxiedRequest {
  readonly httpVersion = '1.1';
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly socket: { remoteAddress: string; remotePort: number; localPort: number };
  private readonly body: Buffer | undefined;

  constructor(r: LocalRequest, remoteAddress: string, localPort: number) {
    this.method = r.method;
    this.url = r.url;
    this.rawHeaders = r.rawHeaders;
    this.body = r.body;
    this.socket = { remoteAddress, remotePort: 0, localPort };
  }

  resume(): this {
    return this;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.body !== undefined && this.body.length > 0) yield this.body;
  }
}

/** Collects the status and headers the front door answers with; the body is read and dropped, as the dispatcher does. */
export class LocalResponse implements ProxiedResponse {
  headersSent = false;
  writableFinished = false;
  private status = 0;
  private readonly head = new Map<string, string>();
  private readonly listeners: { close: (() => void)[]; drain: (() => void)[] } = { close: [], drain: [] };
  private settle!: (a: LocalAnswer) => void;
  private closed = false;
  readonly answer = new Promise<LocalAnswer>((resolve) => (this.settle = resolve));

  constructor(private readonly onInterim?: (status: number) => void) {}

  writeHead(statusCode: number, statusMessage?: string, headers?: OutgoingHttpHeaders | string[]): this;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders | string[]): this;
  writeHead(statusCode: number, a?: string | OutgoingHttpHeaders | string[], b?: OutgoingHttpHeaders | string[]): this {
    const headers = typeof a === 'string' ? b : a;
    if (statusCode < 200) {
      this.onInterim?.(statusCode);
      return this;
    }
    this.status = statusCode;
    this.headersSent = true;
    if (Array.isArray(headers)) {
      for (let i = 0; i < headers.length; i += 2) this.keep(headers[i]!, headers[i + 1]!);
    } else if (headers !== undefined) {
      for (const [k, v] of Object.entries(headers)) if (v !== undefined) this.keep(k, Array.isArray(v) ? String(v[0]) : String(v));
    }
    return this;
  }

  private keep(name: string, value: string): void {
    const lower = name.toLowerCase();
    if (!this.head.has(lower)) this.head.set(lower, value);
  }

  write(): boolean {
    return true;
  }

  end(): this {
    if (this.closed) return this;
    if (!this.headersSent) this.writeHead(200);
    this.writableFinished = true;
    this.finish();
    return this;
  }

  /** Cut before the end: the answer is what had arrived (a status of 0 when nothing had). */
  destroy(): this {
    this.finish();
    return this;
  }

  on(event: 'close' | 'drain', listener: () => void): this {
    this.listeners[event].push(listener);
    return this;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    const head = this.head;
    this.settle({ status: this.status, header: (name) => head.get(name) });
    for (const l of this.listeners.close) l();
  }
}
