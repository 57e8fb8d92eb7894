// `authplane gcloud [--as PRINCIPAL] [--dir DIR]`: a private gcloud configuration directory for the running
// authplane, signed in as PRINCIPAL, and the one line that makes a shell use it:
//
//   eval "$(npx authplane gcloud)"
//
// The settings are in gcloud-config.ts. A user signs in with `gcloud auth activate-refresh-token` and a
// refresh token authplane issued (the token endpoint honours it); a service account with
// `gcloud auth activate-service-account` and a new key file. Only the export line goes to stdout.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../lib/private-files.js';
import { callApi } from './api-client.js';
import { gcloudConfiguration } from './gcloud-config.js';
import { parseVerb, usageError } from './usage.js';

const HELP = `usage: authplane gcloud [--as PRINCIPAL] [--dir DIR] [--gcloud PATH] [--json]

Writes a gcloud configuration directory that points gcloud at the running authplane ($AUTHPLANE_URL) and
signs it in as PRINCIPAL, then prints the line that makes your shell use it:

  eval "$(npx authplane gcloud)"
  gcloud run services list

Every API gcloud calls here (iamcredentials, iam, run, cloudtasks, logging, cloudresourcemanager,
cloudscheduler, pubsub) goes to authplane; gcloud's regional Cloud Run host goes through authplane's API
port as gcloud's HTTP proxy; metadata probing, usage reporting and update checks are off. Nothing reaches
Google. Your own gcloud configuration is not touched.

  --as PRINCIPAL  who gcloud acts as: a user (the default principal, or one of users in authplane.yaml), as
                  EMAIL or user:EMAIL; or a service account, as NAME, EMAIL or serviceAccount:EMAIL
                  (signed in with a new key file). Default: the default principal.
  --dir DIR       the configuration directory (default .authplane/gcloud); created private (0700). An
                  existing directory must be empty or one this command wrote.
  --gcloud PATH   the gcloud to sign in with (default: gcloud on the PATH)
  --json          print {dir, account, principal, export} as JSON instead of the export line

examples:
  authplane gcloud                       then: eval "$(npx authplane gcloud)"
  authplane gcloud --as tasks-invoker --json`;

/** Marks a directory this command wrote, so a second run may rewrite it (and never someone's own gcloud config). */
const MARKER = '.authplane-gcloud';

interface Credentials {
  project: { id: string; region: string };
  apiUrl: string;
  principal: string;
  account: string;
  refreshToken?: string;
  keyFile?: Record<string, string>;
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseVerb('gcloud', args, { as: { type: 'string' }, dir: { type: 'string' }, gcloud: { type: 'string' }, json: { type: 'boolean' } }, HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length) return usageError('gcloud', `unexpected argument ${positionals[0]}`);
  const dir = resolve(values.dir ?? join('.authplane', 'gcloud'));
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, MARKER))) {
    console.error(`authplane: ${dir} is not empty and was not written by authplane gcloud: choose another --dir (your own gcloud configuration is never overwritten).`);
    return 2;
  }
  const creds = await callApi<Credentials>('POST', '/admin/v1/developerCredentials', values.as !== undefined ? { principal: values.as } : {}, values.as !== undefined ? { principal: `--as ${values.as}` } : {});

  ensurePrivateDir(join(dir, 'configurations'));
  writeFileSync(join(dir, MARKER), `written by authplane gcloud for ${creds.apiUrl}\n`, { mode: PRIVATE_FILE_MODE });
  writeFileSync(join(dir, 'configurations', 'config_default'), gcloudConfiguration({ apiUrl: creds.apiUrl, project: creds.project.id, region: creds.project.region }), { mode: PRIVATE_FILE_MODE });
  // No newline: gcloud reads the whole file as the configuration's name.
  writeFileSync(join(dir, 'active_config'), 'default', { mode: PRIVATE_FILE_MODE });

  const gcloud = values.gcloud ?? 'gcloud';
  if (creds.keyFile) {
    const keyPath = join(dir, `key-${creds.account}.json`);
    writeFileSync(keyPath, JSON.stringify(creds.keyFile, null, 2), { mode: PRIVATE_FILE_MODE });
    await signIn(gcloud, dir, ['auth', 'activate-service-account', creds.account, `--key-file=${keyPath}`]);
  } else {
    // The refresh token goes through stdin (gcloud prompts for it when the argument is absent), not argv.
    await signIn(gcloud, dir, ['auth', 'activate-refresh-token', creds.account], `${creds.refreshToken}\n`);
  }

  const exportLine = `export CLOUDSDK_CONFIG=${shellQuote(dir)}`;
  if (values.json) console.log(JSON.stringify({ dir, account: creds.account, principal: creds.principal, export: exportLine }, null, 2));
  else {
    console.error(`authplane: gcloud configuration in ${dir}, signed in as ${creds.principal}, pointed at ${creds.apiUrl}`);
    console.log(exportLine);
  }
  return 0;
}

/** Runs gcloud with the new configuration; its output goes to stderr (stdout is the export line). */
function signIn(gcloud: string, dir: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CLOUDSDK_CONFIG: dir };
    // The refresh token is read at gcloud's prompt: prompts must be on for that one command.
    if (input !== undefined) delete env.CLOUDSDK_CORE_DISABLE_PROMPTS;
    const child = spawn(gcloud, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'ENOENT' ? `cannot run ${gcloud}: install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install) or pass --gcloud PATH` : e.message)),
    );
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${gcloud} ${args.slice(0, 2).join(' ')} failed (exit ${code}):\n${output.replace(/Refresh token: /g, '').trim()}`));
    });
    child.stdin.end(input ?? '');
  });
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
