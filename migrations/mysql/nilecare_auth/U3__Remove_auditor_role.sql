-- Undo of V3__Auditor_role.sql (the system-role trigger is set aside for the delete and put back).
DROP TRIGGER IF EXISTS trg_auth_roles_protect_system;
DELETE FROM auth_roles WHERE id = 'auditor';
DELIMITER //
CREATE TRIGGER trg_auth_roles_protect_system
BEFORE DELETE ON auth_roles
FOR EACH ROW
BEGIN
  IF OLD.is_system THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'auth_roles: a system role cannot be deleted';
  END IF;
END//
DELIMITER ;
