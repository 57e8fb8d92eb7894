import { fileURLToPath } from 'node:url';

/** The built-in demo project's config file (demo/authplane.yaml in the package). */
export function demoConfigPath(): string {
  const here = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(here.includes('/dist/') ? '../../../demo/authplane.yaml' : '../../demo/authplane.yaml', import.meta.url));
}
