// The folder of authplane's package.json, where its data folders are (demo/, protos/, sql/, ui/). Found by
// walking up from this module, so it holds wherever the module runs from: src/ (tsx), dist/src/ (tsc's
// output, what the tests and the library entries import) or dist/bin/ (the bundled CLI, scripts/bundle-cli.mjs).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = 'authplane';

function find(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === NAME) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json of ${NAME} above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

let root: string | undefined;

/** `parts` joined under the package's root folder, e.g. packagePath('protos'). */
export function packagePath(...parts: string[]): string {
  return join((root ??= find()), ...parts);
}
