// One build of authplane as the Cloud Tasks benches compare it: `authplane start` on a config (one process on
// SQLite, or two on a fresh PostgreSQL database of its own), with Google's client and the lean one on each
// process's gRPC port. `cliMain` is another checkout's bin (--compare DIR); without it, this build's.
import type { CloudTasksClient } from '@google-cloud/tasks';
import type { StartedCli } from '../../test/support/cli.js';
import { freshDatabase } from '../../test/support/postgres.js';
import { startInstances } from './instances.js';
import { gaxTasksClient, leanCreateTask, type LeanCreateTask } from './tasks-clients.js';

export interface TasksBuild {
  label: string;
  aps: StartedCli[];
  /** One client of each kind per process. */
  gax: CloudTasksClient[];
  lean: LeanCreateTask[];
  /** Closes the clients, stops the processes (the caller stops PostgreSQL). */
  stop(): Promise<void>;
}

export async function startTasksBuild(label: string, config: Record<string, unknown>, opts: { postgres: boolean; cliMain?: string }): Promise<TasksBuild> {
  const databaseUrl = opts.postgres ? await freshDatabase() : undefined;
  const instances = await startInstances(config, { processes: opts.postgres ? 2 : 1, ...(databaseUrl ? { databaseUrl } : {}), ...(opts.cliMain ? { cliMain: opts.cliMain } : {}) });
  const gax = instances.aps.map((ap) => gaxTasksClient(ap.url('grpc')));
  const lean = instances.aps.map((ap) => leanCreateTask(ap.url('grpc')));
  return {
    label,
    aps: instances.aps,
    gax,
    lean,
    async stop() {
      for (const l of lean) l.close();
      for (const g of gax) await g.close();
      await instances.stop();
    },
  };
}
