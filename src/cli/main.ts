#!/bin/sh
//bin/sh -c :; exec node --max-semi-space-size=64 "$0" "$@"
// (The two lines above: run as a program — `npx authplane`, the package's bin — /bin/sh starts node with the
// flag; node reads the second line as a comment. A larger young generation: under load the front door's
// per-request garbage filled the default one ≈ 10 times a second, each scavenge a pause; with 64 MB it is ≈ 2.5.
// It must be a command-line flag (v8.setFlagsFromString at run time does not resize the heap). `npm start` and
// the tests' startCli (test/support/cli.ts nodeFlagsOf) pass the same flags; front-door workers inherit them.)
// The authplane CLI: a thin translator from argv + env + config file to the library's functions
// and to authplane's own REST API. One file per verb under cli/.

import { readFileSync } from 'node:fs';
import { packagePath } from '../lib/package-root.js';
import { COMMANDS } from './commands.js';

/** The package's version. */
function version(): string {
  return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
}

const USAGE = `authplane — Google Cloud's serverless authentication plane, on one machine

usage: authplane <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`)
  .join('\n')}

Run 'authplane <command> --help' for a command's options and an example; every command takes --json.
authplane --version prints the version.
Commands other than start talk to a running authplane at $AUTHPLANE_URL (default http://127.0.0.1:8930).`;

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === '--version' || verb === '-V') {
    console.log(version());
    return 0;
  }
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    console.log(USAGE);
    return verb ? 0 : 2;
  }
  const command = COMMANDS[verb];
  if (!command) {
    console.error(`authplane: unknown command "${verb}"\n\n${USAGE}`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`authplane: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
