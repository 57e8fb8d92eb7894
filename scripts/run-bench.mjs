// Runs the side-by-side benchmarks in bench/ (compiled to dist/bench). Not part of npm test.
//   npm run bench                 every benchmark, full length
//   npm run bench -- --quick      every benchmark, short runs (what CI may afford)
//   npm run bench -- frontdoor    only bench files whose name contains "frontdoor"
// Every process a benchmark starts gets the metadata sink's environment (scripts/metadata-sink.mjs).
import { readdirSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { startMetadataSink } from './metadata-sink.mjs';

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const names = args.filter((a) => !a.startsWith('--'));
const dir = 'dist/bench';
if (!existsSync(dir)) {
  console.error('no compiled benchmarks: run npm run build first');
  process.exit(1);
}
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.js') && !f.startsWith('lib') && (names.length === 0 || names.some((n) => f.includes(n))))
  .sort();

const sink = await startMetadataSink();
let current;
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (current ? current.kill(signal) : process.exit(1)));
let failed = 0;
for (const f of files) {
  console.log(`\n=== bench/${f.replace(/\.js$/, '.ts')} ${flags.join(' ')}`);
  current = spawn(process.execPath, [`${dir}/${f}`, ...flags], { stdio: 'inherit', env: { ...process.env, ...sink.env } });
  const status = await new Promise((resolve) => current.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  current = undefined;
  if (status !== 0) failed++;
}
await sink.close();
process.exit(failed ? 1 : 0);
