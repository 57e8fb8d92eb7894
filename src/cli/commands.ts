// The CLI's verbs. Each loads lazily so `authplane start` pays only for what it uses.

export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const lazy = (summary: string, load: () => Promise<{ run(args: string[]): Promise<number> }>): Command => ({
  summary,
  run: async (args) => (await load()).run(args),
});

export const COMMANDS: Record<string, Command> = {
  start: lazy('run the emulator (the built-in demo project without --config)', () => import('./start.js')),
  token: lazy('print an ID or access token for a service account (like gcloud auth print-identity-token --impersonate-service-account)', () => import('./token.js')),
  explain: lazy('why Cloud Run would refuse (or accept) a token for a URL: code, explanation, evidence, fix', () => import('./explain.js')),
  invoke: lazy('mint an ID token for a service account, call a service through its front door, print status + findings', () => import('./invoke.js')),
  iam: lazy('show, add, remove and check IAM bindings', () => import('./iam.js')),
  tasks: lazy('list Cloud Tasks queues, tasks and each attempt with its refusal code', () => import('./tasks.js')),
  scheduler: lazy('list Cloud Scheduler jobs, run one now, and show each attempt with its refusal code', () => import('./scheduler.js')),
  pubsub: lazy('publish to a Pub/Sub topic and show each push delivery attempt with its refusal code', () => import('./pubsub.js')),
  reset: lazy('empty a data directory (authplane\'s database and request log) on purpose', () => import('./reset.js')),
  logs: lazy('read the project\'s log entries as Cloud Logging shows them, with a Logging query language filter', () => import('./logs.js')),
  gcloud: lazy('write a gcloud configuration that uses this authplane, signed in as a principal: eval "$(authplane gcloud)"', () => import('./gcloud.js')),
};
