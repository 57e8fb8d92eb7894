// A tiny schema language for the config: each checker validates one value at a YAML path and
// records every problem with the path, what was wrong and how to fix it, so one run reports all.

export interface ConfigProblem {
  path: string;
  problem: string;
  fix: string;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the config\n` +
        problems.map((p) => `  ${p.path || '(top level)'}: ${p.problem}\n    fix: ${p.fix}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export class Ctx {
  readonly problems: ConfigProblem[] = [];
  report(path: string, problem: string, fix: string): void {
    this.problems.push({ path, problem, fix });
  }
}

export type Checker<T> = (value: unknown, path: string, ctx: Ctx) => T;

const join = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

export const str =
  (opts: { pattern?: RegExp; hint?: string; default?: string } = {}): Checker<string> =>
  (v, path, ctx) => {
    if (v === undefined && opts.default !== undefined) return opts.default;
    if (typeof v === 'number' && opts.pattern === undefined) return String(v);
    if (typeof v !== 'string') {
      ctx.report(path, `expected a string, got ${describe(v)}`, opts.hint ?? 'write a quoted string');
      return opts.default ?? '';
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      ctx.report(path, `${JSON.stringify(v)} is not valid`, opts.hint ?? `match ${opts.pattern}`);
    }
    return v;
  };

export const optStr =
  (opts: { pattern?: RegExp; hint?: string } = {}): Checker<string | undefined> =>
  (v, path, ctx) =>
    v === undefined || v === null ? undefined : str(opts)(v, path, ctx);

export const int =
  (opts: { min?: number; max?: number; default: number; hint?: string }): Checker<number> =>
  (v, path, ctx) => {
    if (v === undefined) return opts.default;
    const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      ctx.report(path, `expected a whole number, got ${describe(v)}`, opts.hint ?? `write a number such as ${opts.default}`);
      return opts.default;
    }
    if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
      ctx.report(path, `${n} is out of range`, `use a number from ${opts.min ?? '-∞'} to ${opts.max ?? '∞'}`);
    }
    return n;
  };

export const num =
  (opts: { min?: number; max?: number; default: number }): Checker<number> =>
  (v, path, ctx) => {
    if (v === undefined) return opts.default;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      ctx.report(path, `expected a number, got ${describe(v)}`, `write a number such as ${opts.default}`);
      return opts.default;
    }
    if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
      ctx.report(path, `${v} is out of range`, `use a number from ${opts.min ?? '-∞'} to ${opts.max ?? '∞'}`);
    }
    return v;
  };

export const bool =
  (def: boolean): Checker<boolean> =>
  (v, path, ctx) => {
    if (v === undefined) return def;
    if (typeof v !== 'boolean') {
      ctx.report(path, `expected true or false, got ${describe(v)}`, 'write true or false');
      return def;
    }
    return v;
  };

export const oneOf =
  <T extends string>(values: readonly T[], def: T): Checker<T> =>
  (v, path, ctx) => {
    if (v === undefined) return def;
    if (typeof v !== 'string' || !values.includes(v as T)) {
      ctx.report(path, `${describe(v)} is not one of the allowed values`, `use one of: ${values.join(', ')}`);
      return def;
    }
    return v as T;
  };

/** One of `values`, or undefined when absent. */
export const optOneOf =
  <T extends string>(values: readonly T[]): Checker<T | undefined> =>
  (v, path, ctx) =>
    v === undefined || v === null ? undefined : oneOf(values, values[0]!)(v, path, ctx);

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "0.1s", "20s", "2m", "500ms" into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2]!]!) : undefined;
}

/** A bound in the units docs/config.md writes it in: whole seconds as `30s`, anything else as `500ms`. */
const durationText = (ms: number | undefined): string => (ms === undefined ? 'any length' : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

export const duration =
  (def: string, opts: { minMs?: number; maxMs?: number } = {}): Checker<number> =>
  (v, path, ctx) => {
    const raw = v === undefined ? def : v;
    const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
    if (ms === undefined) {
      ctx.report(path, `expected a duration, got ${describe(v)}`, 'write a number with a unit, such as 500ms, 20s, 2m or 1h');
      return parseDuration(def) ?? 0;
    }
    if ((opts.minMs !== undefined && ms < opts.minMs) || (opts.maxMs !== undefined && ms > opts.maxMs)) {
      ctx.report(path, `${raw} is out of range`, `use a duration from ${durationText(opts.minMs ?? 0)} to ${durationText(opts.maxMs)}`);
    }
    return ms;
  };

export const list =
  <T>(item: Checker<T>, opts: { optional?: boolean } = { optional: true }): Checker<T[]> =>
  (v, path, ctx) => {
    if (v === undefined || v === null) {
      if (!opts.optional) ctx.report(path, 'is required', 'add a list');
      return [];
    }
    if (!Array.isArray(v)) {
      ctx.report(path, `expected a list, got ${describe(v)}`, 'write a YAML list (- item, or [a, b])');
      return [];
    }
    return v.map((x, i) => item(x, join(path, i), ctx));
  };

export const record =
  (item: Checker<string>): Checker<Record<string, string>> =>
  (v, path, ctx) => {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) {
      ctx.report(path, `expected a mapping, got ${describe(v)}`, 'write KEY: value lines');
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) out[k] = item(x, join(path, k), ctx);
    return out;
  };

type Shape = Record<string, Checker<unknown>>;
type Out<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

function closest(key: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(key.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export const obj =
  <S extends Shape>(shape: S, opts: { required?: (keyof S & string)[]; optional?: boolean } = {}): Checker<Out<S>> =>
  (v, path, ctx) => {
    let src: Record<string, unknown> = {};
    if (v === undefined || v === null) {
      if (opts.optional === false) ctx.report(path, 'is required', 'add this section');
    } else if (typeof v !== 'object' || Array.isArray(v)) {
      ctx.report(path, `expected a mapping, got ${describe(v)}`, 'write key: value lines');
    } else {
      src = v as Record<string, unknown>;
    }
    const known = Object.keys(shape);
    for (const key of Object.keys(src)) {
      if (!(key in shape)) {
        const near = closest(key, known);
        ctx.report(
          join(path, key),
          'unknown key',
          near ? `did you mean "${near}"? Allowed keys: ${known.join(', ')}` : `remove it; allowed keys: ${known.join(', ')}`,
        );
      }
    }
    for (const key of opts.required ?? []) {
      if (v !== undefined && v !== null && src[key] === undefined) {
        ctx.report(join(path, key), 'is required', `add ${key}: …`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) out[key] = check(src[key], join(path, key), ctx);
    return out as Out<S>;
  };
