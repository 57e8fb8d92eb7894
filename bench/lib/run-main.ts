// How a bench ends: its clients and servers may still hold the event loop, so the process exits as soon as the
// bench's main settles, 0 when it resolved and 1 (with the error printed) when it threw.

export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
