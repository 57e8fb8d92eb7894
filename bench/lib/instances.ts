// `authplane start` as child processes for the Cloud Tasks benches, as users run it: `processes` of them on one
// config (written as JSON, which is YAML) and, when given, one database; each gets its own --data dir, and
// everything lives in one temporary directory that stop() removes. AUTHPLANE_BENCH_PROFILE=DIR adds a CPU
// profile of each process; AUTHPLANE_BENCH_NODE_ARGS="--flag …" more Node flags (this build's processes only).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testConfig } from '../../test/support/authplane.js';
import { startCli, type StartedCli } from '../../test/support/cli.js';

export interface Instances {
  aps: StartedCli[];
  /** Stops every process (by its pid) and removes the directory. */
  stop(): Promise<void>;
}

export async function startInstances(config: Record<string, unknown>, opts: { processes: number; databaseUrl?: string; cliMain?: string }): Promise<Instances> {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-'));
  const file = join(dir, 'authplane.yaml');
  writeFileSync(file, JSON.stringify(testConfig(config), null, 2));
  const profile = process.env.AUTHPLANE_BENCH_PROFILE;
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  if (!opts.cliMain && process.env.AUTHPLANE_BENCH_NODE_ARGS) nodeArgs.push(...process.env.AUTHPLANE_BENCH_NODE_ARGS.split(' ').filter(Boolean));
  const aps: StartedCli[] = [];
  const stop = async () => {
    for (const ap of aps) await ap.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < opts.processes; i++) {
      const args = ['--config', file, '--data', join(dir, `data-${i}`), ...(opts.databaseUrl ? ['--database', opts.databaseUrl] : [])];
      aps.push(await startCli(args, { env: { AUTHPLANE_DATABASE_URL: '' }, nodeArgs, ...(opts.cliMain ? { cliMain: opts.cliMain } : {}) }));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { aps, stop };
}
