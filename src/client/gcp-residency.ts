// Whether this process runs on Google Cloud, by Node's gcp-metadata's rules (8.x, src/gcp-residency.ts):
// serverless when CLOUD_RUN_JOB, FUNCTION_NAME or K_SERVICE is set (Cloud Run, Cloud Functions — and an
// authplane workload, which gets K_SERVICE as Cloud Run's contract says); Compute Engine when Linux's DMI
// says the BIOS vendor is Google, or a network interface has a MAC address starting 42:01. gcp-metadata then
// waits for the metadata server without a time limit; elsewhere it gives up after 3 s.

import { readFileSync, statSync } from 'node:fs';
import { networkInterfaces, platform } from 'node:os';
import type { Env } from './endpoints.js';

export function onGoogleCloud(env: Env = process.env): boolean {
  return Boolean(env['CLOUD_RUN_JOB'] || env['FUNCTION_NAME'] || env['K_SERVICE']) || onComputeEngine();
}

function onComputeEngine(): boolean {
  if (platform() === 'linux') {
    try {
      statSync('/sys/class/dmi/id/bios_date');
      if (/Google/.test(readFileSync('/sys/class/dmi/id/bios_vendor', 'utf8'))) return true;
    } catch {
      // no DMI: not a VM of Google's, or not readable here; the MAC address may still tell
    }
  }
  return Object.values(networkInterfaces()).some((list) => list?.some(({ mac }) => /^42:01/.test(mac)));
}
