-- The default roles of the schema reference (§1.4), as system roles that cannot be deleted (as MySQL V2).
INSERT INTO auth_roles (id, name, description, permissions, is_system) VALUES
  ('admin',        'admin',        'Full system access',      '["*"]', 1),
  ('doctor',       'doctor',       'Clinical access',         '["patient:read", "patient:write", "clinical:read", "clinical:write", "order:write"]', 1),
  ('nurse',        'nurse',        'Patient care access',     '["patient:read", "clinical:read", "vitals:write", "mar:write"]', 1),
  ('receptionist', 'receptionist', 'Front desk access',       '["patient:read", "patient:write", "appointment:read", "appointment:write"]', 1),
  ('patient',      'patient',      'Personal records access', '["self:read"]', 1);

CREATE OR REPLACE FUNCTION nilecare_auth_protect_system_role() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.is_system = 1 THEN
    RAISE EXCEPTION 'auth_roles: a system role cannot be deleted' USING ERRCODE = 'P0001';
  END IF;
  RETURN OLD;
END $$;
CREATE TRIGGER trg_auth_roles_protect_system BEFORE DELETE ON auth_roles FOR EACH ROW EXECUTE FUNCTION nilecare_auth_protect_system_role();
