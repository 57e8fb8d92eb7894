// Listening sockets bound before the servers that answer on them exist. `authplane start` binds every
// listener first and starts the supervised commands while the rest of authplane loads (server/early-start.ts):
// a command that calls its metadata server, the gRPC port or a front door as it boots is then never refused —
// its connection is accepted and waits until the server that answers on that socket takes it over.

import { createServer, type Server, type Socket } from 'node:net';
import { hostPort } from './host-port.js';

/** One bound socket and the connections it accepted before a server took it. */
export class PreboundSocket {
  private waiting: Socket[] = [];
  private taken = false;
  private onWaiting: (() => void) | undefined;

  private constructor(
    private readonly socket: Server,
    readonly host: string,
    readonly port: number,
  ) {
    socket.on('connection', (c: Socket) => {
      // A client that resets its connection while it waits must not take the process down.
      c.on('error', dropWaiting);
      this.waiting.push(c);
      this.onWaiting?.();
    });
  }

  /** Binds host:port (0: a free port); rejects with the operating system's error, for the caller to name its setting. */
  static bind(host: string, port: number): Promise<PreboundSocket> {
    return new Promise((resolve, reject) => {
      const socket = createServer();
      socket.once('error', reject);
      socket.listen(port, host, () => {
        socket.off('error', reject);
        resolve(new PreboundSocket(socket, host, (socket.address() as { port: number }).port));
      });
    });
  }

  get hostPort(): string {
    return hostPort(this.host, this.port);
  }

  /**
   * Hands the socket to `server` (an HTTP server: it listens on it from now on, and owns closing it) with the
   * connections that waited, which it then reads as if it had accepted them itself.
   */
  listenWith(server: Server): Promise<void> {
    this.take();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // server.listen(handle): the server takes over the bound socket (Node's documented form).
      server.listen(this.socket, () => {
        server.off('error', reject);
        for (const c of this.drain()) server.emit('connection', c);
        resolve();
      });
    });
  }

  /**
   * Passes every connection, those that waited first, to `accept` (for a server that is handed connections
   * instead of listening itself: grpc-js's connection injector). Returns how to stop listening (the
   * connections passed on are the receiver's to end).
   */
  forwardTo(accept: (connection: Socket) => void): () => void {
    this.take();
    this.socket.removeAllListeners('connection');
    this.socket.on('connection', accept);
    for (const c of this.drain()) accept(c);
    return () => void this.socket.close();
  }

  /** Calls `notify` once a connection waits (at once if one does already), e.g. to load what answers it. */
  whenWaiting(notify: () => void): void {
    if (this.waiting.length > 0) notify();
    else
      this.onWaiting = () => {
        this.onWaiting = undefined;
        notify();
      };
  }

  /** Closes it when no server took it (a start that failed, a product that did not run). */
  release(): Promise<void> {
    if (this.taken) return Promise.resolve();
    this.take();
    for (const c of this.drain()) c.destroy();
    return this.closeSocket();
  }

  private take(): void {
    if (this.taken) throw new Error(`the socket bound on ${this.hostPort} was taken twice`);
    this.taken = true;
  }

  /** The connections that waited and are still open, without the error handler they waited with. */
  private drain(): Socket[] {
    const open = this.waiting.filter((c) => !c.destroyed);
    for (const c of this.waiting) c.off('error', dropWaiting);
    this.waiting = [];
    return open;
  }

  private closeSocket(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

function dropWaiting(this: Socket): void {
  this.destroy();
}

/** The sockets bound at start, by the setting that names each port (`server.apiPort`, `services[0].metadataPort`). */
export class PreboundSockets {
  private readonly bySetting = new Map<string, PreboundSocket>();

  add(setting: string, socket: PreboundSocket): void {
    this.bySetting.set(setting, socket);
  }

  get(setting: string): PreboundSocket | undefined {
    return this.bySetting.get(setting);
  }

  /** The socket bound for `setting`, for the server that answers on it; undefined when none was bound. */
  take(setting: string): PreboundSocket | undefined {
    const s = this.bySetting.get(setting);
    this.bySetting.delete(setting);
    return s;
  }

  /** Closes what no server took. */
  async release(): Promise<void> {
    const left = [...this.bySetting.values()];
    this.bySetting.clear();
    await Promise.all(left.map((s) => s.release()));
  }
}
