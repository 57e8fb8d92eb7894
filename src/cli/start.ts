// Only what runs before the signing keys are generated is imported statically: config loading and the server
// load after, while a first start's keys are generated (see run). The start's first part (server/early-start.ts:
// the store, every socket bound, the supervised commands spawned) runs before the rest of the server loads, so
// the commands boot meanwhile.

import { resolve } from 'node:path';
import { demoConfigPath } from '../config/demo.js';
import { ConfigError } from '../config/schema-dsl.js';
import { generatePlatformKeys } from '../identity/keys.js';
import type { RunningAuthplane, StartOptions } from '../server/app.js';
import { DataDirInUseError, DEFAULT_DATA_DIR, DEMO_DATA_DIR, resetDataDir, startsWithNewDatabase } from '../server/data-dir.js';
import { StartupError } from '../lib/startup-error.js';
import { markStartPhase } from '../lib/start-phases.js';
import { parseVerb, usageError } from './usage.js';

export const summary = 'run the emulator: API, gRPC, front doors, metadata servers (demo project without --config)';

const HELP = `usage: authplane start [--config authplane.yaml] [--database URL] [--data DIR] [--json]

Runs the emulator in this process until Ctrl-C: the API port, the gRPC port, a front door per service, a
metadata server per workload. Prints one line per listener, then "authplane ready".

  --config FILE    project config (YAML); without it, the built-in demo project (demo/authplane.yaml)
  --database URL   postgres://… (several processes on one database form one emulator)
                   or sqlite:FILE; default: SQLite in DATA_DIR/authplane.db
  --data DIR       where state and logs live, kept across starts (default: ${DEFAULT_DATA_DIR}); without --config
                   and --data the demo starts from its config every time, in ${DEMO_DATA_DIR} (emptied at start)
  --json           print the listeners and "ready" as one JSON line instead

examples:
  authplane start                                   the demo, fresh
  authplane start --data .authplane/mine            the demo, its state kept (authplane reset --data … clears it)
  authplane start --config authplane.yaml           your project, state in ${DEFAULT_DATA_DIR}`;

export async function run(args: string[]): Promise<number> {
  markStartPhase('cli');
  const parsed = parseVerb('start', args, { config: { type: 'string', short: 'c' }, database: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' } }, HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length) return usageError('start', `unexpected argument ${positionals[0]}`);
  const databaseUrl = values.database ?? process.env.AUTHPLANE_DATABASE_URL;
  // The demo without --data starts from its config every time: its own data directory, emptied first.
  const freshDemo = values.config === undefined && values.data === undefined && databaseUrl === undefined;
  const dataDir = resolve(values.data ?? (freshDemo ? DEMO_DATA_DIR : DEFAULT_DATA_DIR));
  // A first start needs two key pairs (RSA-2048 takes 50-300 ms): generated on the thread pool while the rest
  // of authplane loads, not after. (Unused if the start fails before it opens the store.)
  const generatedKeys = freshDemo || startsWithNewDatabase(dataDir, databaseUrl) ? generatePlatformKeys(Date.now()) : undefined;
  generatedKeys?.catch(() => undefined); // a failure surfaces where the keys are used
  const [{ loadConfigFile }, { startEarly }] = await Promise.all([import('../config/load.js'), import('../server/early-start.js')]);
  markStartPhase('config modules');
  let config;
  try {
    config = loadConfigFile(values.config ?? demoConfigPath());
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`authplane: ${e.message}`);
      return 78; // EX_CONFIG
    }
    throw e;
  }
  markStartPhase('config');
  if (freshDemo) {
    try {
      resetDataDir(dataDir);
    } catch (e) {
      if (!(e instanceof DataDirInUseError)) throw e;
      console.error(`authplane: the demo's data directory ${e.message}, or give this one its own --data DIR`);
      return 1;
    }
  }
  const where = databaseUrl ? `state in ${databaseUrl.replace(/\/\/[^@/]*@/, '//…@')}, logs in ${dataDir}` : `state in ${dataDir}`;
  const say = (line: string) => (values.json ? undefined : console.log(line));
  say(freshDemo ? `authplane: the demo project, started from its config: ${where} (emptied at every start; --data DIR keeps state)` : `authplane: ${values.config ? values.config : 'the demo project'}: ${where}`);
  // Signal handlers first: a supervisor may send SIGTERM the moment it reads "authplane ready".
  let running: RunningAuthplane | undefined;
  let stopping = false;
  // Ends the start's wait for supervised commands when a signal comes first (app.ts).
  const aborting = new AbortController();
  const shutdown = (signal: string) => {
    const signalled = signal === 'SIGINT' ? 130 : 143;
    // A second signal while stopping: out at once; the exit hook stops the supervised commands.
    if (stopping) process.exit(signalled);
    stopping = true;
    console.log(`authplane: ${signal}, shutting down`);
    if (!running) aborting.abort(new StartStopped(signal));
    // Still starting: it stops what it started and rejects (startAuthplane cleans up after itself).
    (running ? running.stop() : starting.then((r) => r.stop())).then(
      () => process.exit(0),
      (e: unknown) => {
        if (e instanceof StartStopped) process.exit(signalled);
        // A start that failed has said why (below).
        if (!(e instanceof StartupError)) console.error('authplane: shutdown failed:', e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // With --json, listener lines become the one JSON line at ready; anything else (a warning) goes to stderr.
  const print = values.json ? (l: string) => void (l === 'authplane ready' || /^\S.*\shttps?:\/\/\S+$/.test(l) || console.error(l)) : (l: string) => console.log(l);
  const options: StartOptions = { config, dataDir, print, signal: aborting.signal, ...(databaseUrl ? { databaseUrl } : {}), ...(generatedKeys ? { generatedKeys } : {}) };
  const starting = (async () => {
    // Every product runs (server/products.ts): all of them bind and spawn.
    const early = await startEarly({ ...options, serves: { grpc: true, run: true, gateways: true } });
    const app = await import('../server/app.js').catch(async (e: unknown) => {
      await early.stop();
      throw e;
    });
    markStartPhase('modules');
    return app.startAuthplane({ ...options, early });
  })();
  try {
    running = await starting;
  } catch (e) {
    // Stopped by a signal: the shutdown handler exits with its code.
    if (e instanceof StartStopped) return -1;
    if (e instanceof StartupError) {
      console.error(`authplane: ${e.message}`);
      return 1;
    }
    throw e;
  }
  if (values.json) console.log(JSON.stringify({ ready: true, dataDir, fresh: freshDemo, listeners: running.listeners }));
  return -1; // keep running
}

/** Why a start ended before `authplane ready`: a signal came while supervised commands were starting. */
class StartStopped extends Error {
  constructor(signal: string) {
    super(`stopped by ${signal} before every supervised command answered`);
    this.name = 'StartStopped';
  }
}
