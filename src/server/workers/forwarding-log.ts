// A front-door worker's request log: ids of its own, and every entry sent to the primary — which keeps the
// one log (its file, the admin API's window, the dashboard's stream) — in one message per event-loop turn.

import type { RequestLog, RequestLogEntry, TokenSummary } from '../../observe/request-log.js';
import type { Channel } from './channel.js';
import type { LogBatch } from './protocol.js';

/** Token summaries numbered before the table starts afresh (LogBatch.reset). */
const MAX_TOKENS = 10_000;

export class ForwardingLog implements Pick<RequestLog, 'newId' | 'record'> {
  private pending: RequestLogEntry[] = [];
  private scheduled = false;
  private seq = 0;
  private tokenIds = new WeakMap<TokenSummary, number>();
  private tokensSent = 0;
  private nextTokenId = 0;

  constructor(
    private readonly channel: Channel,
    /** Distinct from the primary's and every other worker's (protocol.ts WorkerInit.idPrefix). */
    private readonly idPrefix: string,
  ) {}

  newId(): string {
    return `${this.idPrefix}-${(++this.seq).toString(36)}`;
  }

  record(entry: RequestLogEntry): void {
    this.pending.push(entry);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what is pending now (also before the worker exits). */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const out: LogBatch = { tokens: [], entries: [] };
    if (this.tokensSent >= MAX_TOKENS) {
      out.reset = true;
      this.tokenIds = new WeakMap();
      this.tokensSent = 0;
    }
    for (const e of batch) {
      const token = e.token;
      if (token === undefined) {
        out.entries.push(e as LogBatch['entries'][number]);
        continue;
      }
      let id = this.tokenIds.get(token);
      if (id === undefined) {
        id = ++this.nextTokenId;
        this.tokenIds.set(token, id);
        this.tokensSent++;
        out.tokens.push([id, token]);
      }
      // The entry is this worker's no more once sent: its token becomes the number.
      (e as unknown as { token: number }).token = id;
      out.entries.push(e as unknown as LogBatch['entries'][number]);
    }
    this.channel.emit('log', out);
  }
}
