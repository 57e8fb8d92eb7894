import { packagePath } from '../lib/package-root.js';

/** The built-in demo project's config file (demo/authplane.yaml in the package). */
export function demoConfigPath(): string {
  return packagePath('demo', 'authplane.yaml');
}
