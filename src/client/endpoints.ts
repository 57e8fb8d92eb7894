// Where tokens come from: Google's real endpoints by default, authplane's through options or environment.
//
//   GCE_METADATA_IP     host[:port] of the metadata server; read first, as Node's gcp-metadata does (getBaseUrl)
//   GCE_METADATA_HOST   the same, used when GCE_METADATA_IP is unset (Python's google-auth sends requests to it)
//   AUTHPLANE_URL       authplane's API base (http://127.0.0.1:8930): the IAM Credentials endpoint
//   GOOGLE_APPLICATION_CREDENTIALS   a service-account key file to use when no source is given

export const GOOGLE_METADATA_HOST = 'metadata.google.internal';
export const GOOGLE_IAM_CREDENTIALS_URL = 'https://iamcredentials.googleapis.com';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export type Env = Readonly<Record<string, string | undefined>>;

/** The metadata server's base URL (http://HOST[:PORT]): the explicit option, else GCE_METADATA_IP, GCE_METADATA_HOST (gcp-metadata's order), metadata.google.internal. */
export function metadataBaseUrl(explicit: string | undefined, env: Env = process.env): string {
  const host = explicit || env['GCE_METADATA_IP'] || env['GCE_METADATA_HOST'] || GOOGLE_METADATA_HOST;
  return /^https?:\/\//.test(host) ? host.replace(/\/+$/, '') : `http://${host}`;
}

/** The IAM Credentials API base URL, explicit option first, then AUTHPLANE_URL, then Google's. */
export function iamCredentialsBaseUrl(explicit: string | undefined, env: Env = process.env): string {
  const base = explicit || env['AUTHPLANE_URL'] || GOOGLE_IAM_CREDENTIALS_URL;
  return base.replace(/\/+$/, '');
}
