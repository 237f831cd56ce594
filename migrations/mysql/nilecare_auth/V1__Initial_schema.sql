-- nilecare_auth: users, sessions, devices, roles, permissions, audit (schema reference §MySQL 1).
-- Columns beyond the reference (deleted_at, locked_until, created_at/updated_at where missing) are
-- listed in migrations/README.md.

CREATE TABLE auth_users (
  id                    CHAR(36)     NOT NULL DEFAULT (UUID()),
  email                 VARCHAR(255) NOT NULL,
  username              VARCHAR(50)  NOT NULL,
  password_hash         VARCHAR(255) NOT NULL,
  first_name            VARCHAR(50)  NULL,
  last_name             VARCHAR(50)  NULL,
  role                  VARCHAR(50)  NOT NULL DEFAULT 'patient',
  status                VARCHAR(50)  NOT NULL DEFAULT 'pending',
  mfa_enabled           BOOLEAN      NOT NULL DEFAULT FALSE,
  mfa_secret            VARCHAR(255) NULL,
  failed_login_attempts INT          NOT NULL DEFAULT 0,
  locked_until          TIMESTAMP    NULL,
  last_login            TIMESTAMP    NULL,
  email_verified        BOOLEAN      NOT NULL DEFAULT FALSE,
  organization_id       VARCHAR(50)  NULL,
  permissions           JSON         NULL,
  created_at            TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at            TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at            TIMESTAMP    NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_auth_users_email (email),
  UNIQUE INDEX idx_auth_users_username (username),
  INDEX idx_auth_users_status (status),
  INDEX idx_auth_users_organization_id (organization_id),
  INDEX idx_auth_users_login (email, password_hash, status),
  INDEX idx_auth_users_deleted_at (deleted_at),
  CONSTRAINT chk_auth_users_status CHECK (status IN ('active', 'inactive', 'pending', 'suspended', 'locked')),
  CONSTRAINT chk_auth_users_failed_logins CHECK (failed_login_attempts >= 0),
  CONSTRAINT chk_auth_users_permissions CHECK (permissions IS NULL OR JSON_VALID(permissions))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE auth_refresh_tokens (
  id                 VARCHAR(50)  NOT NULL,
  token              VARCHAR(500) NOT NULL,
  user_id            VARCHAR(50)  NOT NULL,
  expires_at         TIMESTAMP    NOT NULL,
  is_revoked         BOOLEAN      NOT NULL DEFAULT FALSE,
  device_fingerprint VARCHAR(255) NULL,
  ip_address         VARCHAR(45)  NULL,
  created_at         TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_auth_refresh_tokens_token (token),
  INDEX idx_auth_refresh_tokens_user_id (user_id),
  INDEX idx_auth_refresh_tokens_expires_at (expires_at),
  CONSTRAINT fk_auth_refresh_tokens_user FOREIGN KEY (user_id) REFERENCES auth_users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE auth_devices (
  id          VARCHAR(50)  NOT NULL,
  user_id     VARCHAR(50)  NOT NULL,
  fingerprint VARCHAR(255) NOT NULL,
  name        VARCHAR(100) NULL,
  is_verified BOOLEAN      NOT NULL DEFAULT FALSE,
  last_used   TIMESTAMP    NULL,
  created_at  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_auth_devices_user_fingerprint (user_id, fingerprint),
  CONSTRAINT fk_auth_devices_user FOREIGN KEY (user_id) REFERENCES auth_users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE auth_roles (
  id          VARCHAR(50) NOT NULL,
  name        VARCHAR(50) NOT NULL,
  description TEXT        NULL,
  permissions JSON        NULL,
  is_system   BOOLEAN     NOT NULL DEFAULT FALSE,
  created_at  TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at  TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_auth_roles_name (name),
  CONSTRAINT chk_auth_roles_permissions CHECK (permissions IS NULL OR JSON_VALID(permissions))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE auth_permissions (
  id          VARCHAR(50)  NOT NULL,
  name        VARCHAR(100) NOT NULL,
  resource    VARCHAR(50)  NOT NULL,
  action      VARCHAR(50)  NOT NULL,
  description TEXT         NULL,
  created_at  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_auth_permissions_name (name),
  INDEX idx_auth_permissions_resource_action (resource, action)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE auth_audit_logs (
  id         VARCHAR(50)  NOT NULL,
  user_id    VARCHAR(50)  NULL,
  action     VARCHAR(100) NOT NULL,
  resource   VARCHAR(100) NULL,
  result     VARCHAR(20)  NOT NULL,
  ip_address VARCHAR(45)  NULL,
  metadata   JSON         NULL,
  `timestamp` TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_auth_audit_logs_user_id (user_id),
  INDEX idx_auth_audit_logs_timestamp (`timestamp`),
  INDEX idx_auth_audit_logs_action (action, `timestamp`),
  CONSTRAINT fk_auth_audit_logs_user FOREIGN KEY (user_id) REFERENCES auth_users (id) ON DELETE SET NULL,
  CONSTRAINT chk_auth_audit_logs_result CHECK (result IN ('success', 'failure')),
  CONSTRAINT chk_auth_audit_logs_metadata CHECK (metadata IS NULL OR JSON_VALID(metadata))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE auth_login_attempts (
  id          VARCHAR(50)  NOT NULL,
  email       VARCHAR(255) NOT NULL,
  ip_address  VARCHAR(45)  NULL,
  success     BOOLEAN      NOT NULL DEFAULT FALSE,
  reason      VARCHAR(255) NULL,
  `timestamp` TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_auth_login_attempts_email (email, `timestamp`),
  INDEX idx_auth_login_attempts_ip (ip_address, `timestamp`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
