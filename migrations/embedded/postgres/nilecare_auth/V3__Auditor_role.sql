-- The audit role (issue 15 item 9), as MySQL V3.
INSERT INTO auth_roles (id, name, description, permissions, is_system) VALUES
  ('auditor', 'auditor', 'Reads the audit trail', '["audit:read"]', 1);
