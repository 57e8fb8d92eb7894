-- Core: signing keys, service accounts, access tokens, IAM policy versions.
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  -- '' = the platform's key (Google's OAuth/IAP keys); otherwise the service account that owns it (signJwt, signBlob).
  owner TEXT NOT NULL DEFAULT '',
  private_pem TEXT NOT NULL,
  public_pem TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  retired_at BIGINT,
  published_until BIGINT
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (alg, owner) WHERE retired_at IS NULL;

CREATE TABLE service_accounts (
  email TEXT PRIMARY KEY,
  unique_id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL
);

CREATE TABLE access_tokens (
  token_hash TEXT PRIMARY KEY,
  principal TEXT NOT NULL,
  scopes JSONB NOT NULL,
  issued_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

CREATE TABLE policy_versions (
  seq BIGSERIAL PRIMARY KEY,
  resource TEXT NOT NULL,
  policy JSONB NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX policy_versions_resource ON policy_versions (resource, seq);

-- Emulator-wide settings shared by every process (e.g. the internal-traffic secret).
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
