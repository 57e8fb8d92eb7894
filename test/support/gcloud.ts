// Driving the real gcloud (/usr/bin/gcloud) against a test authplane: a private configuration directory
// written by `authplane gcloud`, every command bounded by coreutils `timeout`, and gcloud's Python run under
// test/support/gcloud/loopback_guard.py, which refuses (and records) any name lookup or connection off this
// machine, so a setting that would reach Google fails the command instead of leaving loopback.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './cli.js';
import { startGcloudProject, type GcloudProject, type GcloudProjectOptions } from './gcloud-fixture.js';

export const GCLOUD = '/usr/bin/gcloud';
/** Why the gcloud suites skip, or false when gcloud is here. */
export const GCLOUD_SKIP: string | false = existsSync(GCLOUD) ? false : `SKIPPED: the Google Cloud CLI is not installed at ${GCLOUD}`;
if (GCLOUD_SKIP) console.warn(`\n*** ${GCLOUD_SKIP} — the gcloud compatibility suites did not run ***\n`);

/** gcloud's Python under the loopback guard (this file compiles to dist/test/support/gcloud.js; the guard stays in test/). */
const GUARDED_PYTHON = fileURLToPath(new URL('../../../test/support/gcloud/python.sh', import.meta.url));

export interface GcloudResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One gcloud configuration directory and the environment every command in it runs with. */
export class GcloudSession {
  readonly guardLog: string;

  constructor(
    readonly dir: string,
    private readonly extraEnv: NodeJS.ProcessEnv = {},
  ) {
    this.guardLog = join(dir, 'loopback-guard.log');
  }

  /** A fresh private directory (removed by `dispose`). */
  static fresh(prefix = 'authplane-gcloud-'): GcloudSession {
    return new GcloudSession(mkdtempSync(join(tmpdir(), prefix)));
  }

  /**
   * A fresh directory holding only `properties` (and what keeps gcloud quiet: no usage reporting, update
   * checks or surveys), for sessions `authplane gcloud` does not write.
   */
  static configured(properties: Record<string, Record<string, string>>, extraEnv: NodeJS.ProcessEnv = {}): GcloudSession {
    const session = new GcloudSession(mkdtempSync(join(tmpdir(), 'authplane-gcloud-')), extraEnv);
    const all = { ...properties, core: { disable_usage_reporting: 'true', ...properties.core }, component_manager: { disable_update_check: 'true' }, survey: { disable_prompts: 'true' } };
    mkdirSync(join(session.dir, 'configurations'));
    writeFileSync(join(session.dir, 'configurations', 'config_default'), Object.entries(all).map(([section, kv]) => `[${section}]\n${Object.entries(kv).map(([k, v]) => `${k} = ${v}\n`).join('')}`).join('\n'));
    writeFileSync(join(session.dir, 'active_config'), 'default');
    return session;
  }

  /** The environment gcloud runs with: this directory, no prompts, the guard, and nothing inherited that points elsewhere. */
  env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) {
      if (/^(CLOUDSDK_|GCE_METADATA_|GOOGLE_|METADATA_SERVER_)/.test(k) || /^(https?|no|all)_proxy$/i.test(k)) delete env[k];
    }
    return {
      ...env,
      CLOUDSDK_CONFIG: this.dir,
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      CLOUDSDK_PYTHON: GUARDED_PYTHON,
      AUTHPLANE_LOOPBACK_GUARD_LOG: this.guardLog,
      ...this.extraEnv,
    };
  }

  /** Runs `gcloud ARGS`, killed after `seconds` (default 120: it only bounds a hang; gcloud starts slowly on a busy machine). */
  run(args: string[], opts: { seconds?: number } = {}): Promise<GcloudResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('timeout', ['--kill-after=5', String(opts.seconds ?? 120), GCLOUD, ...args], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Runs `gcloud ARGS` and returns its stdout, trimmed; fails with gcloud's output when it exits non-zero. */
  async ok(args: string[], opts: { seconds?: number } = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`gcloud ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout.trim();
  }

  /** What the loopback guard refused (empty when gcloud stayed on this machine). */
  guardViolations(): string[] {
    return existsSync(this.guardLog) ? readFileSync(this.guardLog, 'utf8').split('\n').filter(Boolean) : [];
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * `authplane gcloud [--as PRINCIPAL] --dir DIR` against the authplane at `apiUrl`, as a user runs it; returns
 * the session for the directory it wrote. The CLI's own gcloud call runs under the guard too.
 */
export async function authplaneGcloud(apiUrl: string, as?: string): Promise<GcloudSession> {
  const session = GcloudSession.fresh();
  const r = await runCli(['gcloud', '--dir', session.dir, ...(as ? ['--as', as] : [])], { env: { ...session.env(), AUTHPLANE_URL: apiUrl }, timeoutMs: 90_000 });
  if (r.code !== 0) throw new Error(`authplane gcloud exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const line = r.stdout.trim();
  if (line !== `export CLOUDSDK_CONFIG=${session.dir}`) throw new Error(`authplane gcloud printed ${JSON.stringify(line)}, not the export line`);
  return session;
}

/** The claims of a JWT (no verification: the front door does that). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

export interface GcloudSuite {
  /** The project (set in `before`). */
  readonly project: GcloudProject;
  /** `authplane gcloud [--as PRINCIPAL]` into a fresh directory, checked against the loopback guard at the end. */
  signIn(as?: string): Promise<GcloudSession>;
  /** A session this suite did not sign in through `authplane gcloud`, checked and removed at the end too. */
  track(session: GcloudSession): GcloudSession;
}

/**
 * Hooks for a describe block of gcloud tests: a fresh project before, and after, its removal and the check
 * that no gcloud of the suite tried to leave this machine.
 */
export function gcloudSuite(options: GcloudProjectOptions = {}): GcloudSuite {
  let project: GcloudProject | undefined;
  const sessions: GcloudSession[] = [];
  before(async () => {
    project = await startGcloudProject(options);
  });
  after(async () => {
    await project?.stop();
    const left = sessions.flatMap((s) => s.guardViolations().map((v) => `${s.dir}: ${v}`));
    for (const s of sessions) s.dispose();
    assert.deepEqual(left, [], 'gcloud tried to leave this machine');
  });
  return {
    get project() {
      if (!project) throw new Error('the gcloud suite\'s project is not started yet');
      return project;
    },
    async signIn(as) {
      return this.track(await authplaneGcloud(this.project.ap.apiUrl, as));
    },
    track(session) {
      sessions.push(session);
      return session;
    },
  };
}
