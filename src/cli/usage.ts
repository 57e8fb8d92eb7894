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
