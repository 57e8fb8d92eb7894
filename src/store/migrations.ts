import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The package's sql/ folder, found from both src/ (tsx) and dist/src/ (compiled). */
function sqlRoot(): URL {
  const here = fileURLToPath(import.meta.url);
  return new URL(here.includes('/dist/') ? '../../../sql/' : '../../sql/', import.meta.url);
}

/** Numbered migration files `sql/DIALECT/NNNNNN.sql`, ascending. */
export function loadMigrations(dialect: 'sqlite' | 'postgres'): Migration[] {
  const dir = new URL(`${dialect}/`, sqlRoot());
  return readdirSync(dir)
    .filter((f) => /^\d{6}.*\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 6)), name: f, sql: readFileSync(new URL(f, dir), 'utf8') }));
}
