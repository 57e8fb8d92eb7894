// Where tokens come from: Google's real endpoints by default, authplane's through options or environment.
//
//   GCE_METADATA_HOST   host[:port] of the metadata server (google-auth-library's variable)
//   GCE_METADATA_IP     same, the older name; used when GCE_METADATA_HOST is unset
//   AUTHPLANE_URL       authplane's API base (http://127.0.0.1:8930): the IAM Credentials endpoint
//   GOOGLE_APPLICATION_CREDENTIALS   a service-account key file to use when no source is given

export const GOOGLE_METADATA_HOST = 'metadata.google.internal';
export const GOOGLE_IAM_CREDENTIALS_URL = 'https://iamcredentials.googleapis.com';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export type Env = Readonly<Record<string, string | undefined>>;

/** The metadata server's base URL (http://HOST[:PORT]), explicit option first. */
export function metadataBaseUrl(explicit: string | undefined, env: Env = process.env): string {
  const host = explicit || env['GCE_METADATA_HOST'] || env['GCE_METADATA_IP'] || GOOGLE_METADATA_HOST;
  return /^https?:\/\//.test(host) ? host.replace(/\/+$/, '') : `http://${host}`;
}

/** The IAM Credentials API base URL, explicit option first, then AUTHPLANE_URL, then Google's. */
export function iamCredentialsBaseUrl(explicit: string | undefined, env: Env = process.env): string {
  const base = explicit || env['AUTHPLANE_URL'] || GOOGLE_IAM_CREDENTIALS_URL;
  return base.replace(/\/+$/, '');
}
