// Why `authplane start` could not start, said in the user's terms: the setting or flag that caused it,
// what is wrong, and the fix — never a bare errno or a stack trace. Operating-system errors met while
// starting (a port in use, an address that is not this machine's, a data directory that is a file) are
// turned into one of these where the setting is known.

export class StartupError extends Error {
  readonly code = 'STARTUP_FAILED';
  constructor(
    /** The setting or flag, as the user wrote it: `server.host`, `services[0].port`, `--data`. */
    readonly setting: string,
    readonly problem: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${setting}: ${problem}\n  fix: ${fix}`, options);
    this.name = 'StartupError';
  }
}

/** The errno code of an operating-system error (EADDRINUSE, ENOTDIR, …), if it is one. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code) ? code : undefined;
}

/** Codes getaddrinfo and bind give for a host that is not an address of this machine. */
const NOT_THIS_HOST = new Set(['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA', 'EINVAL', 'EAFNOSUPPORT']);

/**
 * A listen (or gRPC bind) failure, blamed on the setting that caused it: the port's setting for a port in
 * use or a privileged port, `server.host` for an address this machine does not have.
 */
export function listenFailure(e: unknown, where: { host: string; port: number; portSetting: string }): StartupError {
  if (e instanceof StartupError) return e;
  const code = errnoCode(e) ?? grpcBindCode(e);
  const { host, port, portSetting } = where;
  if (code === 'EADDRINUSE') {
    return new StartupError(portSetting, `port ${port} on ${host} is already in use (EADDRINUSE)`, `stop whatever holds it, or set ${portSetting} to another port (0 = any free port)`, { cause: e });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new StartupError(portSetting, `binding port ${port} on ${host} is not permitted (${code}); ports below 1024 need privileges`, `set ${portSetting} to a port from 1024 up (0 = any free port)`, { cause: e });
  }
  if (code && NOT_THIS_HOST.has(code)) {
    return new StartupError('server.host', `${host} is not an address of this machine (${code})`, 'use 127.0.0.1 (this machine only), ::1, 0.0.0.0 (every interface) or one of this machine\'s own addresses', { cause: e });
  }
  return new StartupError(portSetting, `cannot listen on ${host} port ${port}: ${code ?? (e as Error).message}`, `check server.host and ${portSetting}`, { cause: e });
}

/** gRPC reports bind failures as text; pick the errno out of it. */
function grpcBindCode(e: unknown): string | undefined {
  const text = String((e as Error | undefined)?.message ?? '');
  if (/EADDRINUSE|address already in use/i.test(text)) return 'EADDRINUSE';
  if (/EACCES|permission denied/i.test(text)) return 'EACCES';
  if (/EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN|Name resolution failed|cannot assign requested address/i.test(text)) return 'EADDRNOTAVAIL';
  return undefined;
}

/** A file-system failure on a path a flag named (`--data`, `--database sqlite:FILE`). */
export function pathFailure(e: unknown, flag: string, path: string, fix: string): StartupError {
  const code = errnoCode(e);
  const why =
    code === 'ENOTDIR' || code === 'EEXIST'
      ? 'is a file (or lies under one), not a directory'
      : code === 'EACCES' || code === 'EPERM'
        ? 'cannot be created or written: permission denied'
        : code === 'EROFS'
          ? 'is on a read-only file system'
          : code === 'ENOSPC'
            ? 'is on a full disk'
            : `cannot be used: ${(e as Error).message}`;
  return new StartupError(flag, `${path} ${why}${code ? ` (${code})` : ''}`, fix, { cause: e });
}
