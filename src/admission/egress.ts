// VPC egress of the caller, for ingress: on Google, service A calling service B's run.app URL counts as
// internal traffic only when A sends all its traffic through the VPC (Direct VPC egress or a connector with
// `all-traffic`); with `private-ranges-only`, or without VPC egress, run.app traffic leaves through the
// internet and an internal-only B answers 404 (issue 12; https://cloud.google.com/run/docs/securing/ingress).
//
// Locally every caller is on loopback, so the network cannot tell A from a curl. The process can: on Linux,
// the client end of a loopback connection belongs to one process (/proc/net/tcp gives the socket's inode,
// /proc/PID/fd which process holds it). A caller is a supervised service (its command and every process it
// started) or a workload (the processes that asked its metadata server for tokens). Only consulted on the slow
// path: an internal-only service, a request not otherwise internal, and some caller with VPC egress.

import { readdir, readFile, readlink } from 'node:fs/promises';

export type VpcEgress = 'all-traffic' | 'private-ranges-only';

export interface EgressCaller {
  kind: 'service' | 'workload';
  name: string;
  /** Undefined: no VPC egress (the default). */
  vpcEgress: VpcEgress | undefined;
}

interface Registered {
  caller: EgressCaller;
  /** The processes known to be this caller (a supervised command's pid; a workload's metadata clients). */
  pids: () => Iterable<number>;
}

/** Which configured caller a loopback connection comes from. */
export class EgressAttribution {
  private readonly callers: Registered[] = [];
  private readonly workloadPids = new Map<string, Map<number, number>>();
  /** Lookups of metadata clients still running: a caller's next request must not outrun them. */
  private readonly remembering = new Set<Promise<void>>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Whether any caller has VPC egress (otherwise nothing is ever looked up). */
  get relevant(): boolean {
    return this.callers.some((c) => c.caller.vpcEgress !== undefined);
  }

  /** A supervised service (or another process-backed caller) and how to find its processes. */
  register(caller: EgressCaller, pids: () => Iterable<number>): void {
    this.callers.push({ caller, pids });
  }

  /** A workload: its processes are those that use its metadata server (remembered for an hour). */
  registerWorkload(caller: EgressCaller): void {
    const seen = new Map<number, number>();
    this.workloadPids.set(caller.name, seen);
    this.register(caller, () => {
      const cutoff = this.clock() - 3_600_000;
      for (const [pid, at] of seen) if (at < cutoff) seen.delete(pid);
      return seen.keys();
    });
  }

  /** Called by a workload's metadata server: the process behind this connection is that workload. */
  rememberClient(workload: string, connection: LoopbackConnection): Promise<void> {
    const seen = this.workloadPids.get(workload);
    if (seen === undefined) return Promise.resolve();
    const lookup = (async () => {
      const pid = await clientPid(connection, await this.allPids());
      if (pid !== undefined) seen.set(pid, this.clock());
    })().finally(() => this.remembering.delete(lookup));
    this.remembering.add(lookup);
    return lookup;
  }

  /** The configured caller whose process holds the client end of `connection`, if any (Linux; undefined elsewhere). */
  async callerOf(connection: LoopbackConnection): Promise<EgressCaller | undefined> {
    if (!this.relevant) return undefined;
    await Promise.all([...this.remembering]);
    const owners = new Map<number, EgressCaller>();
    const children = await childrenByParent();
    for (const { caller, pids } of this.callers) {
      // A supervised command's own children (a shell, a worker) are the service too.
      const stack = [...pids()];
      while (stack.length > 0) {
        const pid = stack.pop()!;
        if (owners.has(pid)) continue;
        owners.set(pid, caller);
        stack.push(...(children.get(pid) ?? []));
      }
    }
    const pid = await clientPid(connection, owners.keys());
    return pid === undefined ? undefined : owners.get(pid);
  }

  private async allPids(): Promise<number[]> {
    return (await readdir('/proc').catch(() => [] as string[])).filter((d) => /^\d+$/.test(d)).map(Number);
  }
}

/** A TCP connection as the server sees it: the client's address and port, and the server's own port. */
export interface LoopbackConnection {
  remoteAddress: string;
  remotePort: number;
  localPort: number;
}

/** The pid among `candidates` holding the client socket of `c` (the one whose local port is c.remotePort). */
async function clientPid(c: LoopbackConnection, candidates: Iterable<number>): Promise<number | undefined> {
  const inode = await socketInode(c.remotePort, c.localPort);
  if (inode === undefined) return undefined;
  const target = `socket:[${inode}]`;
  for (const pid of candidates) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === target) return pid;
    }
  }
  return undefined;
}

/** The inode of the TCP socket whose local port is `localPort` and remote port `remotePort` (/proc/net/tcp{,6}). */
async function socketInode(localPort: number, remotePort: number): Promise<string | undefined> {
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = parseInt(f[1]!.split(':')[1]!, 16);
      const remote = parseInt(f[2]!.split(':')[1]!, 16);
      if (local === localPort && remote === remotePort) return f[9];
    }
  }
  return undefined;
}

/** pid → its children, from /proc/PID/stat (field 4 is the parent). */
async function childrenByParent(): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  const dirs = (await readdir('/proc').catch(() => [] as string[])).filter((d) => /^\d+$/.test(d));
  await Promise.all(
    dirs.map(async (d) => {
      const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
      // The command name (field 2) may hold spaces and parentheses: read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!Number.isInteger(ppid)) return;
      const list = out.get(ppid) ?? [];
      list.push(Number(d));
      out.set(ppid, list);
    }),
  );
  return out;
}
