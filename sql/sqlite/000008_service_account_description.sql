-- IAM projects.serviceAccounts.create sets a description as well as a display name (ServiceAccount.description).
ALTER TABLE service_accounts ADD COLUMN description TEXT;
