// A fresh demo for the README tours (test/readme-tours*.test.ts): the real CLI's `authplane start` on the demo's
// config copied with every fixed port moved to a free one, and a runner that executes a tour's shell block as
// written — with each 127.0.0.1:PORT moved the same way — and checks every documented outcome.
//
// `npx authplane` runs this build's CLI directly (npm's own start-up would dominate the run); readme-tours.test.ts
// runs the real `npx authplane` once. Tours that run gcloud get the gcloud suites' environment and loopback guard.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_MAIN, copyDemoProject, DEMO_DIR, startCli, type StartedCli } from './cli.js';
import { GCLOUD_SKIP, GcloudSession } from './gcloud.js';
import { formatOutcomes, observedOutcomes, parseTours, type Tour } from './readme-tour.js';

/** The repository (this file compiles to dist/test/support/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
export const TOURS = parseTours(README);

/** Whether a tour runs the Google Cloud CLI (those run only where gcloud is installed, under its loopback guard). */
export const needsGcloud = (tour: Tour): boolean => tour.steps.some((s) => /(^|[;&|(]\s*|\$\()gcloud\s/.test(s.command));
/** Why the gcloud tours are skipped here, or false. */
export const GCLOUD_TOURS_SKIP = GCLOUD_SKIP;

export interface ReadmeDemo {
  run(tour: Tour): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the demo and returns a runner for its tours. A port found free can be taken by another test's process
 * before the demo binds it: then it starts again on other ports (at most three times).
 */
export async function startReadmeDemo(): Promise<ReadmeDemo> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (e) {
      if (attempt === 3 || !/already in use/.test(String((e as Error).message))) throw e;
    }
  }
}

async function startOnce(): Promise<ReadmeDemo> {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-readme-'));
  let demo: StartedCli | undefined;
  try {
    const { config, ports } = await copyDemoProject(dir);
    const original = [...readFileSync(join(DEMO_DIR, 'authplane.yaml'), 'utf8').matchAll(/\b(\w*[pP]ort): (\d+)/g)].map((m) => Number(m[2]));
    assert.equal(ports.length, original.length);
    const moved = new Map(original.map((p, i) => [p, ports[i]!]));
    demo = await startCli(['--config', config, '--data', join(dir, 'data')], { cwd: dir, timeoutMs: 60_000 });
    // `npx authplane …` → this build's CLI; any other npx goes to npm's.
    const realNpx = execFileSync('sh', ['-c', 'command -v npx'], { encoding: 'utf8' }).trim();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'npx'), `#!/bin/sh\nif [ "$1" = authplane ]; then shift; exec "${process.execPath}" "${CLI_MAIN}" "$@"; fi\nexec "${realNpx}" "$@"\n`);
    chmodSync(join(bin, 'npx'), 0o755);
    // gcloud's environment as the gcloud suites set it (test/support/gcloud.ts): nothing inherited that points
    // elsewhere, no prompts, and its Python under the loopback guard, which records any reach off this machine.
    const gcloud = GcloudSession.fresh('authplane-readme-gcloud-');
    const env = { ...gcloud.env(), PATH: `${bin}:${process.env.PATH}`, AUTHPLANE_URL: demo.url('api') };
    const running = demo;
    return {
      async run(tour) {
        await runTour(tour, moved, env, dir);
        assert.deepEqual(gcloud.guardViolations(), [], 'gcloud stayed on this machine');
      },
      async stop() {
        await running.stop();
        gcloud.dispose();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Runs `tour` in `cwd` (the demo's own directory: `npx authplane gcloud` writes .authplane/gcloud there). */
async function runTour(tour: Tour, moved: Map<number, number>, env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  const steps = tour.steps.map((s) => ({ ...s, command: s.command.replace(/127\.0\.0\.1:(\d+)/g, (m, p: string) => (moved.has(Number(p)) ? `127.0.0.1:${moved.get(Number(p))}` : m)) }));
  // One shell for the whole block (its variables and functions carry over), a marker around each command.
  const script = ['exec 2>&1', ...steps.flatMap((s, i) => [`echo "@@step ${i}"`, s.command, `echo "@@exit $?"`])].join('\n');
  const output = await bash(script, env, cwd, 150_000);
  const parts = new Map<number, { text: string; exit: number }>();
  for (const m of output.matchAll(/@@step (\d+)\n([\s\S]*?)@@exit (\d+)\n/g)) parts.set(Number(m[1]), { text: m[2]!, exit: Number(m[3]) });
  const problems: string[] = [];
  for (const [i, s] of steps.entries()) {
    const part = parts.get(i);
    if (!part) {
      problems.push(`README.md:${s.line}: did not run (the shell stopped before it)\n${output.slice(-2000)}`);
      break;
    }
    if (!s.expect) continue;
    if (s.expect.kind === 'ok') {
      if (part.exit !== 0) problems.push(`README.md:${s.line}: documented "→ ok", exited ${part.exit}:\n  ${s.command}\n${indent(part.text)}`);
      continue;
    }
    const want = formatOutcomes(s.expect.outcomes);
    const seen = formatOutcomes(observedOutcomes(part.text));
    if (seen !== want) problems.push(`README.md:${s.line}: documented "→ ${want}", shown "→ ${seen}":\n  ${s.command}\n${indent(part.text)}`);
  }
  assert.deepEqual(problems, [], `\n${problems.join('\n\n')}`);
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .slice(0, 40)
    .map((l) => `    | ${l}`)
    .join('\n');
}

/** Runs `script` with bash in `cwd`; resolves with its output whatever its exit status, rejects after `timeoutMs`. */
function bash(script: string, env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      // The shell and whatever it started: its own process group.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      reject(new Error(`the tour did not finish within ${timeoutMs / 1000} s; its output:\n${out.slice(-3000)}`));
    }, timeoutMs);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
