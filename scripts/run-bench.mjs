// Runs the side-by-side benchmarks in bench/ (compiled to dist/bench). Not part of npm test.
//   npm run bench                 every benchmark, full length
//   npm run bench -- --quick      every benchmark, short runs (what CI may afford)
//   npm run bench -- frontdoor    only bench files whose name contains "frontdoor"
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

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
let failed = 0;
for (const f of files) {
  console.log(`\n=== bench/${f.replace(/\.js$/, '.ts')} ${flags.join(' ')}`);
  const r = spawnSync(process.execPath, [`${dir}/${f}`, ...flags], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
