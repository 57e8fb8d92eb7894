// Service agents: the Google-managed service accounts a Google service acts as in a project (IAP's
// service-NUMBER@gcp-sa-iap…, Cloud Scheduler's, Pub/Sub's, Cloud Run's serverless-robot-prod…). They hold
// roles like any account, but Google does not list them among the project's service accounts
// (https://cloud.google.com/iam/docs/service-account-types#service-agents: "service agents … don't appear on
// the Service accounts page"), so IAM serviceAccounts.list leaves them out here too.

const AGENT_DOMAINS = [
  /^gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com$/, // service-NUMBER@gcp-sa-PRODUCT.iam.gserviceaccount.com
  /^serverless-robot-prod\.iam\.gserviceaccount\.com$/, // Cloud Run's service agent
  /^cloudservices\.gserviceaccount\.com$/, // NUMBER@cloudservices.gserviceaccount.com (Google APIs Service Agent)
  /^cloudbuild\.gserviceaccount\.com$/,
];

/** Whether `email` is a Google-managed service agent rather than one of the project's own service accounts. */
export function isServiceAgent(email: string): boolean {
  const domain = email.slice(email.lastIndexOf('@') + 1);
  return AGENT_DOMAINS.some((d) => d.test(domain));
}
