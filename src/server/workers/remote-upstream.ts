// Where a front-door worker sends a service's requests: the address the primary reports, and while the
// service's supervised command (re)starts, a wait — requests are held, as Cloud Run holds them in a cold start.

import type { UpstreamTarget } from '../../run/proxy.js';
import type { UpstreamState } from './protocol.js';

export class RemoteUpstream implements UpstreamTarget {
  protocol: 'http:' | 'https:' = 'http:';
  host = '127.0.0.1';
  port = 0;
  private waiting: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(state: UpstreamState) {
    this.set(state);
  }

  set(state: UpstreamState): void {
    if (state === null) {
      if (!this.waiting) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        this.waiting = { promise, resolve };
      }
      return;
    }
    this.protocol = state.protocol;
    this.host = state.host;
    this.port = state.port;
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve();
  }

  ready(): Promise<void> | undefined {
    return this.waiting?.promise;
  }
}
