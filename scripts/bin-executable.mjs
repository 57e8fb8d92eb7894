// After every build: the CLI's compiled entry point is the package's bin, and tsc writes new files without
// the execute bit (npm sets it only when it links a package), so `rm -rf dist && npm run build` would leave
// `npx authplane` failing with "Permission denied". Sets it again.
import { chmodSync, statSync } from 'node:fs';

const BIN = 'dist/src/cli/main.js';
chmodSync(BIN, statSync(BIN).mode | 0o111);
