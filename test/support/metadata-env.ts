// The runner points Google's libraries away from any metadata server (scripts/metadata-sink.mjs). A test
// that wants one, as code on Cloud Run has, points this process at an authplane metadata server for a
// while: both variables Google's Node libraries read (GCE_METADATA_IP first), and no detection override.
const NAMES = ['GCE_METADATA_HOST', 'GCE_METADATA_IP', 'METADATA_SERVER_DETECTION'] as const;

/** Points this process at the metadata server on `hostPort`; returns the function that undoes it. */
export function useMetadataServer(hostPort: string): () => void {
  const saved = NAMES.map((n) => [n, process.env[n]] as const);
  process.env.GCE_METADATA_HOST = hostPort;
  process.env.GCE_METADATA_IP = hostPort;
  delete process.env.METADATA_SERVER_DETECTION;
  return () => {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  };
}
