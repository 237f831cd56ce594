-- nilecare_auth in PostgreSQL dialect: the tables of migrations/mysql/nilecare_auth/V1, column for column, for the
-- embedded default (a schema of this name inside the FHIR store's PostgreSQL or PGlite, when AUTH_MYSQL_URL is not
-- set). Same names, types mapped: BOOLEAN columns are SMALLINT 0/1 (the shared SQL compares them with 0 and 1),
-- TIMESTAMP is UTC without time zone as in MySQL, JSON is JSONB.

CREATE OR REPLACE FUNCTION nilecare_auth_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now() AT TIME ZONE 'UTC';
  RETURN NEW;
END $$;

CREATE TABLE auth_users (
  id                    VARCHAR(36)  NOT NULL DEFAULT gen_random_uuid()::text,
  email                 VARCHAR(255) NOT NULL,
  username              VARCHAR(50)  NOT NULL,
  password_hash         VARCHAR(255) NOT NULL,
  first_name            VARCHAR(50)  NULL,
  last_name             VARCHAR(50)  NULL,
  role                  VARCHAR(50)  NOT NULL DEFAULT 'patient',
  status                VARCHAR(50)  NOT NULL DEFAULT 'pending',
  mfa_enabled           SMALLINT     NOT NULL DEFAULT 0,
  mfa_secret            VARCHAR(255) NULL,
  failed_login_attempts INT          NOT NULL DEFAULT 0,
  locked_until          TIMESTAMP    NULL,
  last_login            TIMESTAMP    NULL,
  email_verified        SMALLINT     NOT NULL DEFAULT 0,
  organization_id       VARCHAR(50)  NULL,
  permissions           JSONB        NULL,
  created_at            TIMESTAMP    NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
  updated_at            TIMESTAMP    NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
  deleted_at            TIMESTAMP    NULL,
  PRIMARY KEY (id),
  CONSTRAINT idx_auth_users_email UNIQUE (email),
  CONSTRAINT idx_auth_users_username UNIQUE (username),
  CONSTRAINT chk_auth_users_status CHECK (status IN ('active', 'inactive', 'pending', 'suspended', 'locked')),
  CONSTRAINT chk_auth_users_failed_logins CHECK (failed_login_attempts >= 0)
);
CREATE INDEX idx_auth_users_status ON auth_users (status);
CREATE INDEX idx_auth_users_organization_id ON auth_users (organization_id);
CREATE INDEX idx_auth_users_login ON auth_users (email, password_hash, status);
CREATE INDEX idx_auth_users_deleted_at ON auth_users (deleted_at);
CREATE TRIGGER trg_auth_users_updated_at BEFORE UPDATE ON auth_users FOR EACH ROW EXECUTE FUNCTION nilecare_auth_touch_updated_at();

CREATE TABLE auth_refresh_tokens (
  id                 VARCHAR(50)  NOT NULL,
  token              VARCHAR(500) NOT NULL,
  user_id            VARCHAR(50)  NOT NULL,
  expires_at         TIMESTAMP    NOT NULL,
  is_revoked         SMALLINT     NOT NULL DEFAULT 0,
  device_fingerprint VARCHAR(255) NULL,
  ip_address         VARCHAR(45)  NULL,
  created_at         TIMESTAMP    NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
  PRIMARY KEY (id),
  CONSTRAINT idx_auth_refresh_tokens_token UNIQUE (token),
  CONSTRAINT fk_auth_refresh_tokens_user FOREIGN KEY (user_id) REFERENCES auth_users (id) ON DELETE CASCADE
);
CREATE INDEX idx_auth_refresh_tokens_user_id ON auth_refresh_tokens (user_id);
CREATE INDEX idx_auth_refresh_tokens_expires_at ON auth_refresh_tokens (expires_at);

CREATE TABLE auth_devices (
  id          VARCHAR(50)  NOT NULL,
  user_id     VARCHAR(50)  NOT NULL,
  fingerprint VARCHAR(255) NOT NULL,
  name        VARCHAR(100) NULL,
  is_verified SMALLINT     NOT NULL DEFAULT 0,
  last_used   TIMESTAMP    NULL,
  created_at  TIMESTAMP    NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
  updated_at  TIMESTAMP    NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
  PRIMARY KEY (id),
  CONSTRAINT idx_auth_devices_user_fingerprint UNIQUE (user_id, fingerprint),
  CONSTRAINT fk_auth_devices_user FOREIGN KEY (user_id) REFERENCES auth_users (id) ON DELETE CASCADE
);
CREATE TRIGGER trg_auth_devices_updated_at BEFORE UPDATE ON auth_devices FOR EACH ROW EXECUTE FUNCTION nilecare_auth_touch_updated_at();

CREATE TABLE auth_roles (
  id          VARCHAR(50) NOT NULL,
  name        VARCHAR(50) NOT NULL,
  description TEXT        NULL,
  permissions JSONB       NULL,
  is_system   SMALLINT    NOT NULL DEFAULT 0,
  created_at  TIMESTAMP   NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
  updated_at  TIMESTAMP   NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
  PRIMARY KEY (id),
  CONSTRAINT idx_auth_roles_name UNIQUE (name)
);
CREATE TRIGGER trg_auth_roles_updated_at BEFORE UPDATE ON auth_roles FOR EACH ROW EXECUTE FUNCTION nilecare_auth_touch_updated_at();

CREATE TABLE auth_permissions (
  id          VARCHAR(50)  NOT NULL,
  name        VARCHAR(100) NOT NULL,
  resource    VARCHAR(50)  NOT NULL,
  action      VARCHAR(50)  NOT NULL,
  description TEXT         NULL,
  created_at  TIMESTAMP    NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
  PRIMARY KEY (id),
  CONSTRAINT idx_auth_permissions_name UNIQUE (name)
);
CREATE INDEX idx_auth_permissions_resource_action ON auth_permissions (resource, action);

CREATE TABLE auth_audit_logs (
  id          VARCHAR(50)  NOT NULL,
  user_id     VARCHAR(50)  NULL,
  action      VARCHAR(100) NOT NULL,
  resource    VARCHAR(100) NULL,
  result      VARCHAR(20)  NOT NULL,
  ip_address  VARCHAR(45)  NULL,
  metadata    JSONB        NULL,
  "timestamp" TIMESTAMP    NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
  PRIMARY KEY (id),
  CONSTRAINT fk_auth_audit_logs_user FOREIGN KEY (user_id) REFERENCES auth_users (id) ON DELETE SET NULL,
  CONSTRAINT chk_auth_audit_logs_result CHECK (result IN ('success', 'failure'))
);
CREATE INDEX idx_auth_audit_logs_user_id ON auth_audit_logs (user_id);
CREATE INDEX idx_auth_audit_logs_timestamp ON auth_audit_logs ("timestamp");
CREATE INDEX idx_auth_audit_logs_action ON auth_audit_logs (action, "timestamp");

CREATE TABLE auth_login_attempts (
  id          VARCHAR(50)  NOT NULL,
  email       VARCHAR(255) NOT NULL,
  ip_address  VARCHAR(45)  NULL,
  success     SMALLINT     NOT NULL DEFAULT 0,
  reason      VARCHAR(255) NULL,
  "timestamp" TIMESTAMP    NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
  PRIMARY KEY (id)
);
CREATE INDEX idx_auth_login_attempts_email ON auth_login_attempts (email, "timestamp");
CREATE INDEX idx_auth_login_attempts_ip ON auth_login_attempts (ip_address, "timestamp");
