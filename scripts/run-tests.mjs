// Runs every compiled test file with node's test runner. Node 20's runner does not expand globs,
// so the files are listed here. A file or name pattern narrows the run:  npm test -- tasks
// Every process the tests start gets the metadata sink's environment (scripts/metadata-sink.mjs).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { startMetadataSink } from './metadata-sink.mjs';

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
const filters = process.argv.slice(2);
// Only tests whose source still exists: a deleted test's compiled file may linger in dist/.
const hasSource = (f) => existsSync(f.replace(/^dist[\\/]/, '').replace(/\.js$/, '.ts'));
const files = walk('dist/test').filter(hasSource).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const sink = await startMetadataSink();
// A hung test fails after 10 minutes instead of stalling CI. The bound applies to each test file as a whole too,
// and a file of gcloud runs takes minutes on a busy machine (README tours: 142 s at load 14 on 2 cores): it only
// catches a hang, so it is far above any file's time.
const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=600000', ...files], {
  stdio: 'inherit',
  env: { ...process.env, ...sink.env },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
const status = await new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
await sink.close();
process.exit(status);
