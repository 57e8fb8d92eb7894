// Internal resource keys and their hierarchy. Every IAM-bearing thing is named by a short key:
//   projects/PROJECT_ID
//   serviceAccounts/EMAIL        services/NAME        iap/NAME        queues/NAME
//   topics/ID        subscriptions/ID
// All but the project inherit the project's policy, as on Google. The REST surfaces translate
// Google's long resource names (projects/P/locations/L/services/S …) to these keys.

export const projectResource = (projectId: string) => `projects/${projectId}`;
export const serviceResource = (name: string) => `services/${name}`;
export const iapResource = (name: string) => `iap/${name}`;
export const queueResource = (name: string) => `queues/${name}`;
export const topicResource = (id: string) => `topics/${id}`;
export const subscriptionResource = (id: string) => `subscriptions/${id}`;
export const serviceAccountResource = (email: string) => `serviceAccounts/${email}`;

/** The resource itself first, then its ancestors: where a check looks for bindings. */
export function resourceChain(key: string, projectId: string): string[] {
  const project = projectResource(projectId);
  return key === project ? [project] : [key, project];
}

/**
 * The gcloud command that adds `member` to `role` on the resource `key` names: what a remedy tells people to
 * run on Google (authplane's own equivalent is `authplane iam add KEY ROLE MEMBER`).
 */
export function grantCommand(key: string, role: string, member: string, region = 'REGION'): string {
  const [kind, ...rest] = key.split('/');
  const name = rest.join('/');
  const args = `--member=${member} --role=${role}`;
  switch (kind) {
    case 'projects':
      return `gcloud projects add-iam-policy-binding ${name} ${args}`;
    case 'services':
      return `gcloud run services add-iam-policy-binding ${name} --region=${region} ${args}`;
    case 'iap':
      return `gcloud iap web add-iam-policy-binding --resource-type=cloud-run --service=${name} --region=${region} ${args}`;
    case 'queues':
      return `gcloud tasks queues add-iam-policy-binding ${name} --location=${region} ${args}`;
    case 'serviceAccounts':
      return `gcloud iam service-accounts add-iam-policy-binding ${name} ${args}`;
    default:
      return `gcloud … add-iam-policy-binding ${key} ${args}`;
  }
}
