// How a verb reads its arguments and refuses them: one line naming the verb and the problem, a pointer to
// --help, exit 2. --help (or -h) anywhere prints the verb's help and exits 0.

import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

export function usageError(verb: string, problem: string): number {
  console.error(`authplane ${verb}: ${problem} (see: authplane ${verb} --help)`);
  return 2;
}

/**
 * `args` parsed strictly with `options`, positionals allowed; a number is the exit code to return at once: 0
 * after printing `help`, 2 after refusing an unknown or malformed option.
 */
export function parseVerb<const O extends Options>(verb: string, args: string[], options: O, help: string): Parsed<O> | number {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(help);
    return 0;
  }
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    return usageError(verb, (e as Error).message);
  }
}

type Given = Record<string, unknown>;
const given = (values: Given, flag: string) => values[flag] !== undefined && values[flag] !== false;

/**
 * Exit 2 naming both flags when `flag` was given with one of `others` (a flag that would be silently ignored
 * beside it); undefined when they were not given together.
 */
export function refuseTogether(verb: string, values: Given, flag: string, others: readonly string[], why: string): number | undefined {
  if (!given(values, flag)) return undefined;
  const other = others.find((o) => given(values, o));
  return other === undefined ? undefined : usageError(verb, `--${flag} and --${other} do not go together: ${why}`);
}

/** Exit 2 naming both flags when `flag` was given without `needed`, the flag it only applies with. */
export function refuseWithout(verb: string, values: Given, flag: string, needed: string, why: string): number | undefined {
  return given(values, flag) && !given(values, needed) ? usageError(verb, `--${flag} applies only with --${needed}: ${why}`) : undefined;
}

/** Exit 2 when a flag other than `allowed` (and --json) was given to operation `op`, naming both. */
export function refuseForOperation(verb: string, op: string, values: Given, allowed: readonly string[]): number | undefined {
  const extra = Object.keys(values).find((f) => f !== 'json' && f !== 'help' && !allowed.includes(f) && given(values, f));
  return extra === undefined ? undefined : usageError(verb, `--${extra} does not apply to ${verb} ${op}${allowed.length ? ` (it takes ${allowed.map((f) => `--${f}`).join(', ')})` : ''}`);
}
