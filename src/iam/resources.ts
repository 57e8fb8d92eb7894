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
