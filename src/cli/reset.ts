// `authplane reset [--data DIR] [--json]`: empties a data directory on purpose — authplane's database and
// request log, nothing else — and refuses while a running authplane owns it.

import { resolve } from 'node:path';
import { DataDirInUseError, DEFAULT_DATA_DIR, resetDataDir } from '../server/data-dir.js';
import { parseVerb, usageError } from './usage.js';

const HELP = `usage: authplane reset [--data DIR] [--json]

Empties a data directory: authplane's database (keys, IAM policies, queues, tasks, jobs, topics) and its request
log, so the next start begins from the config. Other files are left alone. Refused while an authplane runs on it.

  --data DIR   the data directory (default: ${DEFAULT_DATA_DIR}, and the demo's ${DEFAULT_DATA_DIR}/demo in it)
  --json       print what was removed as JSON

example:
  authplane reset --data .authplane/mine`;

export async function run(args: string[]): Promise<number> {
  const parsed = parseVerb('reset', args, { data: { type: 'string' }, json: { type: 'boolean' } }, HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length) return usageError('reset', `unexpected argument ${positionals[0]}: the directory goes after --data`);
  const dir = resolve(values.data ?? DEFAULT_DATA_DIR);
  let result;
  try {
    result = resetDataDir(dir);
  } catch (e) {
    if (e instanceof DataDirInUseError) {
      console.error(`authplane reset: ${e.message}`);
      return 1;
    }
    throw e;
  }
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else if (result.removed.length === 0) console.log(`${dir}: nothing to reset`);
  else console.log(`${dir}: removed ${result.removed.join(', ')}${result.kept.length ? `; kept ${result.kept.join(', ')} (not authplane's)` : ''}`);
  return 0;
}
