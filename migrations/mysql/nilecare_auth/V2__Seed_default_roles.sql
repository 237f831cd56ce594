-- The default roles of the schema reference (§1.4), as system roles that cannot be deleted.
INSERT INTO auth_roles (id, name, description, permissions, is_system) VALUES
  ('admin',        'admin',        'Full system access',      JSON_ARRAY('*'),                                                   TRUE),
  ('doctor',       'doctor',       'Clinical access',         JSON_ARRAY('patient:read', 'patient:write', 'clinical:read', 'clinical:write', 'order:write'), TRUE),
  ('nurse',        'nurse',        'Patient care access',     JSON_ARRAY('patient:read', 'clinical:read', 'vitals:write', 'mar:write'), TRUE),
  ('receptionist', 'receptionist', 'Front desk access',       JSON_ARRAY('patient:read', 'patient:write', 'appointment:read', 'appointment:write'), TRUE),
  ('patient',      'patient',      'Personal records access', JSON_ARRAY('self:read'),                                           TRUE);

DELIMITER //
-- System roles cannot be deleted (reference: "is_system: System role (cannot be deleted)").
CREATE TRIGGER trg_auth_roles_protect_system
BEFORE DELETE ON auth_roles
FOR EACH ROW
BEGIN
  IF OLD.is_system THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'auth_roles: a system role cannot be deleted';
  END IF;
END//
DELIMITER ;
