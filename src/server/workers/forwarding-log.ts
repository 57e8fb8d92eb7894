// A front-door worker's request log: ids of its own, and every entry sent to the primary — which keeps the
// one log (its file, the admin API's window, the dashboard's stream) — in one message per event-loop turn.

import type { RequestLog, RequestLogEntry } from '../../observe/request-log.js';
import type { Channel } from './channel.js';

export class ForwardingLog implements Pick<RequestLog, 'newId' | 'record'> {
  private pending: RequestLogEntry[] = [];
  private scheduled = false;
  private seq = 0;

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
    this.channel.emit('log', batch);
  }
}
