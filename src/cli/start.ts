import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { demoConfigPath } from '../config/demo.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigError } from '../config/schema-dsl.js';
import { startAuthplane, type RunningAuthplane } from '../server/app.js';
import { StartupError } from '../lib/startup-error.js';

export const summary = 'run the emulator: API, gRPC, front doors, metadata servers (demo project without --config)';

const HELP = `usage: authplane start [--config authplane.yaml] [--database URL] [--data DIR]

  --config FILE    project config (YAML); without it, the built-in demo project
  --database URL   postgres://… (several processes on one database form one emulator)
                   or sqlite:FILE; default: SQLite in DATA_DIR/authplane.db
  --data DIR       where state and logs live (default: .authplane)`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      database: { type: 'string' },
      data: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
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
  const databaseUrl = values.database ?? process.env.AUTHPLANE_DATABASE_URL;
  // Signal handlers first: a supervisor may send SIGTERM the moment it reads "authplane ready".
  let running: RunningAuthplane | undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    // A second signal while stopping (or while supervised commands are still starting): out at once; the
    // exit hook stops the supervised commands.
    if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
    stopping = true;
    console.log(`authplane: ${signal}, shutting down`);
    // Still starting: stop once started (startAuthplane cleans up after itself when it fails).
    (running ? running.stop() : starting.then((r) => r.stop())).then(
      () => process.exit(0),
      (e: unknown) => {
        // A start that failed has said why (below).
        if (!(e instanceof StartupError)) console.error('authplane: shutdown failed:', e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  const starting = startAuthplane({ config, dataDir: resolve(values.data ?? '.authplane'), ...(databaseUrl ? { databaseUrl } : {}) });
  try {
    running = await starting;
  } catch (e) {
    if (e instanceof StartupError) {
      console.error(`authplane: ${e.message}`);
      return 1;
    }
    throw e;
  }
  return -1; // keep running
}
