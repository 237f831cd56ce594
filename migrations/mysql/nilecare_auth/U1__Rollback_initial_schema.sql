-- Undo of V1__Initial_schema.sql: drops every nilecare_auth table (children first).
DROP TABLE IF EXISTS auth_login_attempts;
DROP TABLE IF EXISTS auth_audit_logs;
DROP TABLE IF EXISTS auth_permissions;
DROP TABLE IF EXISTS auth_roles;
DROP TABLE IF EXISTS auth_devices;
DROP TABLE IF EXISTS auth_refresh_tokens;
DROP TABLE IF EXISTS auth_users;
