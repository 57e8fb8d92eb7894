// Calls and events between the primary authplane process and its front-door workers, over node:cluster's IPC
// pipe. A call waits for the other side's answer (or its error, as a plain Error); an event does not.

export interface IpcEndpoint {
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

type Handler = (args: never) => unknown;

type Message =
  | { ap: 'call'; id: number; method: string; args: unknown }
  | { ap: 'reply'; id: number; ok: true; value: unknown }
  | { ap: 'reply'; id: number; ok: false; error: string }
  | { ap: 'event'; name: string; data: unknown };

export class Channel {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly handlers = new Map<string, Handler>();
  private readonly listeners = new Map<string, (data: never) => void>();
  private closed: Error | undefined;

  constructor(private readonly endpoint: IpcEndpoint) {
    endpoint.on('message', (m) => this.receive(m as Message));
  }

  /** Answers calls of `method`. */
  handle<A, R>(method: string, fn: (args: A) => R | Promise<R>): void {
    this.handlers.set(method, fn as Handler);
  }

  /** Receives events named `name`. */
  on<D>(name: string, fn: (data: D) => void): void {
    this.listeners.set(name, fn as (data: never) => void);
  }

  call<R>(method: string, args?: unknown): Promise<R> {
    if (this.closed) return Promise.reject(this.closed);
    const id = ++this.nextId;
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ ap: 'call', id, method, args });
    });
  }

  emit(name: string, data?: unknown): void {
    if (!this.closed) this.post({ ap: 'event', name, data });
  }

  /** The other side is gone: every call waiting fails with `why`, and later ones at once. */
  close(why: Error): void {
    this.closed = why;
    for (const w of this.waiting.values()) w.reject(why);
    this.waiting.clear();
  }

  private post(m: Message): void {
    try {
      this.endpoint.send(m, (e) => {
        if (e && m.ap === 'call') this.settle(m.id, { ap: 'reply', id: m.id, ok: false, error: e.message });
      });
    } catch (e) {
      if (m.ap === 'call') this.settle(m.id, { ap: 'reply', id: m.id, ok: false, error: (e as Error).message });
    }
  }

  private settle(id: number, r: Extract<Message, { ap: 'reply' }>): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    if (r.ok) w.resolve(r.value);
    else w.reject(new Error(r.error));
  }

  private receive(m: Message): void {
    if (!m || typeof m !== 'object' || !('ap' in m)) return;
    if (m.ap === 'reply') this.settle(m.id, m);
    else if (m.ap === 'event') this.listeners.get(m.name)?.(m.data as never);
    else if (m.ap === 'call') {
      const fn = this.handlers.get(m.method);
      if (!fn) {
        this.post({ ap: 'reply', id: m.id, ok: false, error: `no handler for ${m.method}` });
        return;
      }
      Promise.resolve()
        .then(() => fn(m.args as never))
        .then(
          (value) => this.post({ ap: 'reply', id: m.id, ok: true, value: value === undefined ? null : value }),
          (e: unknown) => this.post({ ap: 'reply', id: m.id, ok: false, error: (e as Error)?.message ?? String(e) }),
        );
    }
  }
}
