import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../lib/package-root.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered migration files `sql/DIALECT/NNNNNN.sql`, ascending. */
export function loadMigrations(dialect: 'sqlite' | 'postgres'): Migration[] {
  const dir = packagePath('sql', dialect);
  return readdirSync(dir)
    .filter((f) => /^\d{6}.*\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 6)), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
}
