-- The audit role (issue 15 item 9): reads the whole audit trail (AuditEvent), which no other role's wildcard
-- scopes cover; changes nothing. Granted scopes: server/auth/role-scopes.ts.
INSERT INTO auth_roles (id, name, description, permissions, is_system) VALUES
  ('auditor', 'auditor', 'Reads the audit trail', JSON_ARRAY('audit:read'), TRUE);
