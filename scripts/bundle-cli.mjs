// After tsc: the CLI as the package's bin runs it — dist/bin/main.js and the front-door workers' entry
// dist/bin/worker-main.js, bundled from tsc's output by esbuild. Node 20's ES module loader spends a large
// share of `authplane start` resolving, reading and linking ≈ 210 files one by one; a few files load in about
// two thirds of the time (measured by bench/startup). Dynamic imports stay lazy as chunks beside the entries
// (authplane loads what a start does not need after "authplane ready"); packages under node_modules are not
// bundled. Every module is in the bundle once, so module state (the lazy-module list, a platform's front
// doors) and classes (StartupError) are shared as in dist/src. dist/src stays what the tests import and what
// the library entries (authplane/verify, authplane/client) are.
// The entry's first two lines are a /bin/sh polyglot that starts node with its flags (src/cli/main.ts):
// esbuild keeps the first (a hashbang) and drops the second (a comment to it), which is put back. The bin is
// made executable: esbuild writes files without the execute bit, and `npx authplane` runs the file itself.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';

const OUT = 'dist/bin';
const BIN = `${OUT}/main.js`;
const header = readFileSync('src/cli/main.ts', 'utf8').split('\n').slice(0, 2);
if (!header[0].startsWith('#!/bin/sh') || !header[1].startsWith('//bin/sh')) throw new Error('src/cli/main.ts no longer starts with its /bin/sh lines');

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: ['dist/src/cli/main.js', 'dist/src/server/workers/worker-main.js'],
  outdir: OUT,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // Beside the chunks, through tsc's maps to src/*.ts: `node --enable-source-maps` shows TypeScript lines.
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
});
const [hashbang, ...rest] = readFileSync(BIN, 'utf8').split('\n');
if (hashbang !== header[0]) throw new Error(`${BIN} does not start with ${header[0]}`);
writeFileSync(BIN, [hashbang, header[1], ...rest].join('\n'));
// The map's lines move down one with it (a source map's "mappings" holds one group per line, split by ';').
const map = JSON.parse(readFileSync(`${BIN}.map`, 'utf8'));
const lines = map.mappings.split(';');
lines.splice(1, 0, '');
map.mappings = lines.join(';');
writeFileSync(`${BIN}.map`, JSON.stringify(map));
chmodSync(BIN, statSync(BIN).mode | 0o111);
