// gcloud's regional hosts: it derives Cloud Run's per-region endpoint by prefixing the region to the host of
// the endpoint it would use (`run.googleapis.com` → `us-central1-run.googleapis.com`, and an override's
// `127.0.0.1:8930` → `us-central1-127.0.0.1:8930`; command_lib/run/connection_context.py DeriveRegionalEndpoint).

/** `us-central1-`, `europe-west4-`, `northamerica-northeast1-`: a region and the dash gcloud adds. */
export const REGION_PREFIX = /^[a-z]+(?:-[a-z]+)+\d+-/;

/** The region a regional host names (`us-central1` of `us-central1-127.0.0.1:8930`), or undefined. */
export function regionOfHost(host: string | undefined): string | undefined {
  const m = host === undefined ? null : REGION_PREFIX.exec(host.toLowerCase());
  return m ? m[0].slice(0, -1) : undefined;
}
