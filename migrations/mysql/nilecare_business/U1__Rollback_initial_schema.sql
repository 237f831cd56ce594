-- Undo of V1__Initial_schema.sql.
DROP TABLE IF EXISTS appointments;
DROP TABLE IF EXISTS working_hours;
ALTER TABLE departments DROP FOREIGN KEY fk_departments_head;
DROP TABLE IF EXISTS staff;
DROP TABLE IF EXISTS departments;
DROP PROCEDURE IF EXISTS sp_check_appointment_overlap;
