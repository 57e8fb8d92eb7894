-- What gcloud changes and needs: user-managed service-account keys (IAM keys.create/list/delete),
-- refresh tokens (OAuth refresh_token grant, `authplane gcloud`), and service settings changed through the
-- Cloud Run Admin API (ingress, invoker IAM check, custom audiences), one row per change.

-- USER_MANAGED keys (key files) are published but never the account's active signing key; SYSTEM_MANAGED
-- keys are the account's own signJwt/signBlob keys and the platform's keys.
ALTER TABLE signing_keys ADD COLUMN key_type TEXT NOT NULL DEFAULT 'SYSTEM_MANAGED';

CREATE TABLE refresh_tokens (
  -- sha256 of the token, hex: the token itself is never stored.
  token_hash TEXT PRIMARY KEY,
  principal TEXT NOT NULL,
  client_id TEXT NOT NULL,
  scopes JSONB NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE service_versions (
  seq BIGSERIAL PRIMARY KEY,
  service TEXT NOT NULL,
  -- The config is generation 1; each change adds one. Unique: two concurrent changes cannot both win.
  generation INTEGER NOT NULL,
  settings JSONB NOT NULL,
  -- The config's own settings of the service when the change was made (a later config edit wins).
  config_fingerprint TEXT NOT NULL,
  modifier TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (service, generation)
);
