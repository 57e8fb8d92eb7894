// The structured request log: one JSON object per request authplane answers — front doors, IAP, gateways,
// the REST and gRPC APIs — with its outcome and, for a refusal, its code, explanation, remedy and evidence.
// Appended to DATA_DIR/requests.log as JSON lines and kept in a bounded in-memory ring for the admin API
// (GET /admin/v1/requests), the dashboard and `authplane invoke`.
//
// Tokens appear only as their decoded header and claims (`tokenSummary`), never whole and never with
// their signature: the log is meant to be pasted into a bug report.
//
// Hot path: `record` pushes an object into the ring and an array; serialisation and the file write
// happen in batches on a timer, so a request pays neither JSON.stringify nor a syscall.

import { createWriteStream, type WriteStream } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../lib/private-files.js';
import { join } from 'node:path';
import type { Platform } from '../platform.js';
import type { Denial } from '../verify/denial.js';

export type RequestOutcome =
  /** Proxied to the service; `status` is what the service answered. */
  | 'proxied'
  /** Refused by authplane (ingress, a gate such as IAP, the token, IAM). */
  | 'refused'
  /** Request body over the limit (413). */
  | 'too-large'
  /** The service could not be reached or failed mid-response. */
  | 'upstream-error'
  /** A gate answered without refusing (IAP's redirect to sign-in, its /_gcp_iap/ pages). */
  | 'answered-by-gate'
  /** An API call that succeeded. */
  | 'answered'
  /** authplane failed while answering (a bug: 500 with the request id). */
  | 'failed';

export const REQUEST_OUTCOMES: readonly RequestOutcome[] = ['proxied', 'refused', 'too-large', 'upstream-error', 'answered-by-gate', 'answered', 'failed'];

export interface TokenSummary {
  /** Which header carried it. */
  header: string;
  jwtHeader?: Readonly<Record<string, unknown>>;
  claims?: Readonly<Record<string, unknown>>;
  /** For credentials that are not JWTs: what they look like (length, prefix), never the value. */
  opaque?: { length: number; prefix: string };
}

export interface RequestLogEntry {
  id: string;
  /** ISO time the request arrived. */
  time: string;
  /** Which product answered: 'run' (front door), 'iap', 'gateway', 'api' (REST or gRPC), 'metadata', 'dispatch'. */
  surface: string;
  /** The Cloud Run service or gateway; for API calls the Google API (cloudtasks.googleapis.com, …). */
  service: string;
  method: string;
  path: string;
  /** Client address as seen by the front door. */
  source: string;
  /** The Host the client used (a run.app or custom-domain name the request carried), when known. */
  host?: string;
  /** Whether ingress counted the request as internal. */
  internal: boolean;
  status: number;
  outcome: RequestOutcome;
  /** Who the token said the caller was (IAM member form), when known. */
  principal?: string;
  token?: TokenSummary;
  /** Refusal details (`x-authplane-denial` carries `code`). */
  code?: string;
  message?: string;
  explanation?: string;
  remedy?: string;
  evidence?: Record<string, unknown>;
  /**
   * False for refusals Google would not log (ingress blocks): the entry exists only in authplane's own log.
   * The dashboard shows these separately.
   */
  googleVisible: boolean;
  /** Milliseconds from arrival to the last response byte (proxied) or to the refusal. */
  durationMs: number;
  /** Free-form detail for upstream errors. */
  error?: string;
  /** Set on the attempts of Google's callers (surface 'dispatch'): which task, job or push delivery, and which attempt. */
  dispatch?: DispatchAttempt;
  /** What Cloud Logging's httpRequest needs of an HTTP request (front doors and the REST API). */
  http?: HttpDetails;
}

/** An HTTP request as Cloud Run's request logs describe it (never a credential); the Host is the entry's `host`. */
export interface HttpDetails {
  /** The query string with its '?', when there is one. */
  query?: string;
  userAgent?: string;
  referer?: string;
  /** Request line, headers and declared body, in bytes. */
  requestSize: number;
  /** Bytes of the response body, when known. */
  responseSize?: number;
  /** e.g. HTTP/1.1 */
  protocol: string;
  /** X-Cloud-Trace-Context or traceparent as received, for LogEntry.trace and spanId. */
  cloudTraceContext?: string;
  traceparent?: string;
}

/** One attempt of Cloud Tasks, Cloud Scheduler or a Pub/Sub push subscription calling a target. */
export interface DispatchAttempt {
  product: 'cloudtasks' | 'cloudscheduler' | 'pubsub';
  /** The full resource name: projects/P/locations/L/queues/Q/tasks/T, projects/P/locations/L/jobs/J, projects/P/subscriptions/S. */
  resource: string;
  /** For a push delivery, the message id. */
  messageId?: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** `METHOD URL` as the caller sent it (the task's URL, the job's uri, the push endpoint). */
  target: string;
  /** RFC 3339: when the attempt was due, and (after a failure) when the next one is. */
  scheduleTime: string;
  retryTime?: string;
  /** Why the next attempt waits as long as it does: backoff, Retry-After, or why there is none (maxAttempts, maxRetryDuration). */
  retryReason?: string;
  /** The front door's request id when the target is a local service (its entry holds the admission's details). */
  frontDoorRequestId?: string;
}

export interface RequestQuery {
  limit?: number;
  service?: string;
  surface?: string;
  code?: string;
  outcome?: RequestOutcome;
  principal?: string;
  status?: number;
  /** Attempts of one task, job or subscription, or of everything under a name (a queue's tasks): entries whose `dispatch.resource` is this name or starts with it and a slash. */
  resource?: string;
}

/** Called with each entry as it is recorded (the dashboard's live stream). */
export type RequestLogListener = (entry: RequestLogEntry) => void;

const FLUSH_INTERVAL_MS = 200;
/** Entries serialised per turn of the event loop when flushing (flushChunk); bench/request-log drives the same. */
export const FLUSH_CHUNK = 64;
/** Serialised bytes handed to the file stream at the latest at this size, even while more is pending. */
const WRITE_AT_BYTES = 1 << 20;
/** Entries are serialised into buffers of this size (a larger one for an entry that does not fit). */
const CHUNK_BYTES = 64 * 1024;

export class RequestLog {
  private readonly ring: (RequestLogEntry | undefined)[];
  private next = 0;
  private count = 0;
  private pending: RequestLogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chunkTimer: NodeJS.Immediate | undefined;
  /**
   * Serialised entries not yet handed to the stream: full buffers, then `chunk` filled up to `chunkUsed`. Each line
   * is encoded into a buffer as it is serialised. A batch concatenated into one string was encoded by the stream in
   * one go, ≈ 3 ms of one turn at 1,000 entries (bench/request-log: 4.1–4.2 against 1.8 µs an entry, the longest
   * turn 2.8–3.0 against 0.2 ms).
   */
  private full: Buffer[] = [];
  private chunk: Buffer | undefined;
  private chunkUsed = 0;
  private writing: Promise<void> = Promise.resolve();
  /** Opened on the first flush and kept open (appendFile would open and close the file every flush). */
  private stream: WriteStream | undefined;
  private seq = 0;
  private broken = false;
  private readonly idPrefix = Date.now().toString(36);
  private readonly listeners = new Set<RequestLogListener>();

  /** `file` undefined = memory only. */
  constructor(
    readonly file: string | undefined,
    readonly capacity = 1000,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new TypeError(`RequestLog capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array(capacity);
  }

  /** A new request id (also sent as x-authplane-request-id on refusals). */
  newId(): string {
    return `${this.idPrefix}-${(++this.seq).toString(36)}`;
  }

  record(entry: RequestLogEntry): void {
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    // A listener must not break the request that is being logged.
    for (const l of this.listeners) {
      try {
        l(entry);
      } catch (e) {
        console.error('authplane: request log listener failed:', e);
      }
    }
    if (this.file === undefined) return;
    this.pending.push(entry);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flushSoon(), FLUSH_INTERVAL_MS);
      this.timer.unref();
    }
  }

  /** Newest first. */
  recent(q: RequestQuery = {}): RequestLogEntry[] {
    const limit = Math.max(1, Math.min(q.limit ?? 100, this.capacity));
    const out: RequestLogEntry[] = [];
    for (let i = 1; i <= this.count && out.length < limit; i++) {
      const e = this.ring[(this.next - i + this.capacity) % this.capacity]!;
      if (q.service !== undefined && e.service !== q.service) continue;
      if (q.surface !== undefined && e.surface !== q.surface) continue;
      if (q.code !== undefined && e.code !== q.code) continue;
      if (q.outcome !== undefined && e.outcome !== q.outcome) continue;
      if (q.principal !== undefined && e.principal !== q.principal) continue;
      if (q.status !== undefined && e.status !== q.status) continue;
      if (q.resource !== undefined && !isUnder(e.dispatch?.resource, q.resource)) continue;
      out.push(e);
    }
    return out;
  }

  /** Calls `listener` with every entry recorded from now on; returns the function that stops it. */
  subscribe(listener: RequestLogListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  get(id: string): RequestLogEntry | undefined {
    for (let i = 1; i <= this.count; i++) {
      const e = this.ring[(this.next - i + this.capacity) % this.capacity]!;
      if (e.id === id) return e;
    }
    return undefined;
  }

  /** Serialised token summaries: one verified token is logged on many requests, its JSON is built once. */
  private readonly tokenJson = new WeakMap<TokenSummary, string>();

  private serialize(e: RequestLogEntry): string {
    const token = e.token;
    if (token === undefined) return JSON.stringify(e);
    let t = this.tokenJson.get(token);
    if (t === undefined) {
      t = JSON.stringify(token);
      this.tokenJson.set(token, t);
    }
    // The entry without its token (undefined properties are left out), then the cached token JSON spliced in.
    e.token = undefined;
    const line = JSON.stringify(e);
    e.token = token;
    return `${line.slice(0, -1)},"token":${t}}`;
  }

  private flushSoon(): void {
    this.timer = undefined;
    this.flushChunk();
  }

  /**
   * Serialises and writes at most FLUSH_CHUNK entries, then yields to the event loop before the next chunk: at
   * 5,000 requests/s a 200 ms batch serialised at once (≈ 3 µs an entry) held every request behind it for 3–5 ms.
   */
  private flushChunk(): void {
    void this.flush(FLUSH_CHUNK);
    if (this.pending.length > 0) {
      this.chunkTimer ??= setImmediate(() => {
        this.chunkTimer = undefined;
        this.flushChunk();
      });
    }
  }

  /**
   * Hands pending entries (at most `max`, oldest first) to the file stream; resolves once the stream has taken
   * them (close() waits for the disk).
   */
  flush(max = Infinity): Promise<void> {
    if (this.file === undefined) return this.writing;
    if (this.pending.length > 0) {
      let batch: RequestLogEntry[];
      if (this.pending.length > max) batch = this.pending.splice(0, max);
      else {
        batch = this.pending;
        this.pending = [];
      }
      for (let i = 0; i < batch.length; i++) this.append(this.serialize(batch[i]!), batch.length - i);
    }
    // One write for the whole batch once its chunks are serialised (a write per chunk cost a syscall each).
    let bytes = this.chunkUsed;
    for (const b of this.full) bytes += b.length;
    if (bytes === 0 || (this.pending.length > 0 && bytes < WRITE_AT_BYTES)) return this.writing;
    const buffers = this.takeSerialized();
    const file = this.file;
    if (this.stream === undefined) {
      const stream = createWriteStream(file, { flags: 'a', mode: PRIVATE_FILE_MODE });
      stream.on('error', (e) => {
        // Said once; the log stays in memory (the admin API) and a broken stream never blocks a write or a stop.
        if (!this.broken) console.error(`authplane: cannot write the request log ${file}: ${e.message}`);
        this.broken = true;
      });
      this.stream = stream;
    }
    const stream = this.stream;
    if (this.broken) return this.writing;
    this.writing = this.writing.then(
      () =>
        new Promise<void>((resolve) => {
          // A stream that failed is destroyed: a write to it would wait for a 'drain' that never comes.
          if (this.broken || stream.destroyed) return resolve();
          // Corked, the stream hands every buffer to one writev.
          stream.cork();
          let room = true;
          for (const b of buffers) room = stream.write(b);
          stream.uncork();
          if (room) resolve();
          else waitDrainOrError(stream, resolve);
        }),
    );
    return this.writing;
  }

  /** Encodes one serialised entry and its newline after what is serialised; `left` entries of the batch remain, this one included. */
  private append(line: string, left: number): void {
    // UTF-8 takes at most 3 bytes for each UTF-16 code unit (a surrogate pair: 4 bytes for two).
    const most = 3 * line.length + 1;
    if (this.chunk === undefined || this.chunk.length - this.chunkUsed < most) {
      if (this.chunk !== undefined && this.chunkUsed > 0) this.full.push(this.chunk.subarray(0, this.chunkUsed));
      // Sized for what is left of the batch: one entry a flush, at low traffic, takes a few KiB, not a whole chunk.
      this.chunk = Buffer.allocUnsafe(Math.max(most, Math.min(CHUNK_BYTES, most * left)));
      this.chunkUsed = 0;
    }
    this.chunkUsed += this.chunk.write(line, this.chunkUsed);
    this.chunk[this.chunkUsed++] = 0x0a;
  }

  /** What is serialised, as buffers the stream may keep; the next entry starts a new chunk. */
  private takeSerialized(): Buffer[] {
    const out = this.full;
    if (this.chunk !== undefined && this.chunkUsed > 0) out.push(this.chunk.subarray(0, this.chunkUsed));
    this.full = [];
    this.chunk = undefined;
    this.chunkUsed = 0;
    return out;
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.chunkTimer !== undefined) clearImmediate(this.chunkTimer);
    this.chunkTimer = undefined;
    await this.flush();
    const stream = this.stream;
    this.stream = undefined;
    if (stream !== undefined && !this.broken && !stream.destroyed) await new Promise<void>((resolve) => {
      stream.once('error', () => resolve());
      stream.end(() => resolve());
    });
  }
}

function waitDrainOrError(stream: WriteStream, resolve: () => void): void {
  const done = () => {
    stream.off('drain', done);
    stream.off('error', done);
    stream.off('close', done);
    resolve();
  };
  stream.once('drain', done);
  stream.once('error', done);
  stream.once('close', done);
}

/** `name` is `resource` or names something inside it (a task of a queue). */
function isUnder(name: string | undefined, resource: string): boolean {
  return name !== undefined && (name === resource || (name.startsWith(resource) && name.charCodeAt(resource.length) === 47 /* / */));
}

/** Fills the refusal fields of an entry from a Denial. */
export function denialFields(denial: Denial): Pick<RequestLogEntry, 'code' | 'message' | 'explanation' | 'remedy' | 'evidence'> {
  return { code: denial.code, message: denial.message, explanation: denial.explanation, remedy: denial.remedy, evidence: denial.evidence };
}

// One log per platform, so every product (front door, IAP gate, gateway) writes to the same place
// without the Platform interface growing a field.
const logs = new WeakMap<Platform, RequestLog>();

export function requestLogFor(platform: Platform): RequestLog {
  let log = logs.get(platform);
  if (!log) {
    log = new RequestLog(join(platform.dataDir, 'requests.log'));
    logs.set(platform, log);
  }
  return log;
}
