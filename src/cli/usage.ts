// How a verb refuses its arguments: one line naming the verb and the problem, a pointer to --help, exit 2.

export function usageError(verb: string, problem: string): number {
  console.error(`authplane ${verb}: ${problem} (see: authplane ${verb} --help)`);
  return 2;
}
