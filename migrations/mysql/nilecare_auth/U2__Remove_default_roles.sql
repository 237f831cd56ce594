-- Undo of V2__Seed_default_roles.sql.
DROP TRIGGER IF EXISTS trg_auth_roles_protect_system;
DELETE FROM auth_roles WHERE id IN ('admin', 'doctor', 'nurse', 'receptionist', 'patient');
