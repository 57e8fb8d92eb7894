// The gcloud configuration `authplane gcloud` writes: every API gcloud needs pointed at authplane's API
// port, and nothing left that would reach Google. Each setting was found necessary by experiment with
// gcloud 528 on a machine whose only network was loopback (notes: gcloud-wire.md §0, §1, §9):
//
//   api_endpoint_overrides/API  the host root and a trailing "/", no version path (gcloud adds it);
//                               cloudresourcemanager even for `config set project`
//   auth/token_host             where user and service-account credentials refresh
//   proxy/type|address|port     gcloud derives Cloud Run's regional host from the override
//                               (REGION-127.0.0.1:PORT, which resolves nowhere) and sends every request
//                               through the proxy in absolute form: the API port answers them itself
//   core/check_gce_metadata     false: no probe of metadata.google.internal
//   metrics/environment         set: gcloud otherwise asks the metadata server whether it runs on GCE
//   core/disable_usage_reporting, component_manager/disable_update_check, survey/disable_prompts
//   run/region                  the emulated region, so `gcloud run …` needs no --region

/** The APIs gcloud calls that authplane serves (gcloud property names). */
export const GCLOUD_APIS = ['iamcredentials', 'iam', 'run', 'cloudtasks', 'logging', 'cloudresourcemanager', 'cloudscheduler', 'pubsub'] as const;

export interface GcloudConfigInput {
  /** authplane's API port, e.g. http://127.0.0.1:8930 */
  apiUrl: string;
  project: string;
  region: string;
}

/** The INI text of `configurations/config_default`. */
export function gcloudConfiguration(input: GcloudConfigInput): string {
  const api = new URL(input.apiUrl);
  if (api.protocol !== 'http:') throw new TypeError(`authplane's API URL must be http://HOST:PORT, got ${input.apiUrl}`);
  const root = `${api.origin}/`;
  const port = api.port || '80';
  const sections: Record<string, Record<string, string>> = {
    core: { project: input.project, disable_usage_reporting: 'true', check_gce_metadata: 'false' },
    component_manager: { disable_update_check: 'true' },
    survey: { disable_prompts: 'true' },
    metrics: { environment: 'authplane' },
    auth: { token_host: `${root}token` },
    api_endpoint_overrides: Object.fromEntries(GCLOUD_APIS.map((a) => [a, root])),
    proxy: { type: 'http', address: api.hostname.replace(/^\[|\]$/g, ''), port },
    run: { region: input.region },
  };
  return Object.entries(sections)
    .map(([name, values]) => `[${name}]\n${Object.entries(values).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`)
    .join('\n');
}
