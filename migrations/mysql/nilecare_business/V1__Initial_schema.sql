-- nilecare_business: departments, staff, working hours and appointments (schema reference §MySQL 4,
-- table names only; the columns are the choices in migrations/README.md; appointments.doctor_id and
-- patient_id follow the reference's ER diagram).

CREATE TABLE departments (
  id                   CHAR(36)     NOT NULL DEFAULT (UUID()),
  code                 VARCHAR(20)  NOT NULL,
  name                 VARCHAR(100) NOT NULL,
  description          TEXT         NULL,
  facility_id          CHAR(36)     NULL COMMENT 'nilecare_facility.facilities.id',
  parent_department_id CHAR(36)     NULL,
  head_staff_id        CHAR(36)     NULL,
  phone                VARCHAR(20)  NULL,
  email                VARCHAR(255) NULL,
  location             VARCHAR(255) NULL,
  is_active            BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at           TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at           TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at           TIMESTAMP    NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_departments_facility_code (facility_id, code),
  INDEX idx_departments_parent (parent_department_id),
  INDEX idx_departments_head (head_staff_id),
  CONSTRAINT fk_departments_parent FOREIGN KEY (parent_department_id) REFERENCES departments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE staff (
  id               CHAR(36)     NOT NULL DEFAULT (UUID()),
  employee_number  VARCHAR(50)  NOT NULL,
  user_id          CHAR(36)     NULL COMMENT 'nilecare_auth.auth_users.id',
  first_name       VARCHAR(50)  NOT NULL,
  last_name        VARCHAR(50)  NOT NULL,
  email            VARCHAR(255) NULL,
  phone            VARCHAR(20)  NULL,
  role             ENUM('doctor', 'nurse', 'midwife', 'pharmacist', 'lab_technician', 'radiographer', 'receptionist', 'administrator', 'accountant', 'other') NOT NULL,
  specialty        VARCHAR(100) NULL,
  license_number   VARCHAR(50)  NULL COMMENT 'Sudan Medical Council registration',
  license_expiry   DATE         NULL,
  department_id    CHAR(36)     NULL,
  facility_id      CHAR(36)     NULL,
  employment_type  ENUM('full_time', 'part_time', 'contract', 'locum', 'intern') NOT NULL DEFAULT 'full_time',
  hire_date        DATE         NULL,
  termination_date DATE         NULL,
  status           ENUM('active', 'on_leave', 'suspended', 'terminated') NOT NULL DEFAULT 'active',
  created_at       TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at       TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at       TIMESTAMP    NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_staff_employee_number (employee_number),
  UNIQUE INDEX idx_staff_user_id (user_id),
  UNIQUE INDEX idx_staff_email (email),
  INDEX idx_staff_department (department_id, status),
  INDEX idx_staff_role (role, status),
  INDEX idx_staff_name (last_name, first_name),
  CONSTRAINT fk_staff_department FOREIGN KEY (department_id) REFERENCES departments (id),
  CONSTRAINT chk_staff_dates CHECK (termination_date IS NULL OR hire_date IS NULL OR termination_date >= hire_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE departments ADD CONSTRAINT fk_departments_head FOREIGN KEY (head_staff_id) REFERENCES staff (id) ON DELETE SET NULL;

CREATE TABLE working_hours (
  id             CHAR(36)  NOT NULL DEFAULT (UUID()),
  staff_id       CHAR(36)  NOT NULL,
  facility_id    CHAR(36)  NULL,
  day_of_week    TINYINT   NOT NULL COMMENT 'ISO: 1 = Monday … 7 = Sunday',
  start_time     TIME      NOT NULL,
  end_time       TIME      NOT NULL COMMENT 'earlier than start_time = the shift ends the next day',
  shift_type     ENUM('day', 'evening', 'night', 'on_call') NOT NULL DEFAULT 'day',
  effective_from DATE      NOT NULL,
  effective_to   DATE      NULL,
  is_available   BOOLEAN   NOT NULL DEFAULT TRUE,
  created_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_working_hours_slot (staff_id, day_of_week, start_time, effective_from),
  CONSTRAINT fk_working_hours_staff FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE,
  CONSTRAINT chk_working_hours_day CHECK (day_of_week BETWEEN 1 AND 7),
  CONSTRAINT chk_working_hours_times CHECK (end_time <> start_time),
  CONSTRAINT chk_working_hours_effective CHECK (effective_to IS NULL OR effective_to >= effective_from)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE appointments (
  id                  CHAR(36)     NOT NULL DEFAULT (UUID()),
  appointment_number  VARCHAR(50)  NOT NULL,
  patient_id          CHAR(36)     NOT NULL,
  doctor_id           CHAR(36)     NOT NULL,
  department_id       CHAR(36)     NULL,
  facility_id         CHAR(36)     NULL,
  appointment_date    DATE         NOT NULL,
  start_time          TIME         NOT NULL,
  end_time            TIME         NOT NULL,
  duration_minutes    INT          GENERATED ALWAYS AS (TIME_TO_SEC(TIMEDIFF(end_time, start_time)) DIV 60) STORED,
  appointment_type    ENUM('consultation', 'follow_up', 'procedure', 'emergency', 'telemedicine', 'vaccination', 'antenatal', 'lab', 'other') NOT NULL DEFAULT 'consultation',
  status              ENUM('scheduled', 'confirmed', 'checked_in', 'in_progress', 'completed', 'cancelled', 'no_show', 'rescheduled') NOT NULL DEFAULT 'scheduled',
  reason              VARCHAR(255) NULL,
  notes               TEXT         NULL,
  cancellation_reason VARCHAR(255) NULL,
  booked_by           CHAR(36)     NULL,
  checked_in_at       DATETIME     NULL,
  created_at          TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at          TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at          TIMESTAMP    NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_appointments_number (appointment_number),
  INDEX idx_appointments_doctor_slot (doctor_id, appointment_date, start_time),
  INDEX idx_appointments_patient (patient_id, appointment_date),
  INDEX idx_appointments_department (department_id),
  INDEX idx_appointments_status (status, appointment_date),
  CONSTRAINT fk_appointments_doctor FOREIGN KEY (doctor_id) REFERENCES staff (id),
  CONSTRAINT fk_appointments_department FOREIGN KEY (department_id) REFERENCES departments (id),
  CONSTRAINT chk_appointments_times CHECK (end_time > start_time),
  CONSTRAINT chk_appointments_cancel CHECK (status <> 'cancelled' OR cancellation_reason IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DELIMITER //
-- No double booking: a doctor cannot have two live appointments that overlap in time.
CREATE PROCEDURE sp_check_appointment_overlap(IN p_id CHAR(36), IN p_doctor CHAR(36), IN p_date DATE, IN p_start TIME, IN p_end TIME, IN p_status VARCHAR(20), IN p_deleted TIMESTAMP)
BEGIN
  IF p_status NOT IN ('cancelled', 'no_show', 'rescheduled') AND p_deleted IS NULL AND EXISTS (
    SELECT 1 FROM appointments a
     WHERE a.doctor_id = p_doctor AND a.appointment_date = p_date AND a.id <> p_id
       AND a.status NOT IN ('cancelled', 'no_show', 'rescheduled') AND a.deleted_at IS NULL
       AND a.start_time < p_end AND p_start < a.end_time) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'appointments: the doctor already has an appointment at that time';
  END IF;
END//
CREATE TRIGGER trg_appointments_bi BEFORE INSERT ON appointments FOR EACH ROW
BEGIN
  CALL sp_check_appointment_overlap(NEW.id, NEW.doctor_id, NEW.appointment_date, NEW.start_time, NEW.end_time, NEW.status, NEW.deleted_at);
END//
CREATE TRIGGER trg_appointments_bu BEFORE UPDATE ON appointments FOR EACH ROW
BEGIN
  CALL sp_check_appointment_overlap(NEW.id, NEW.doctor_id, NEW.appointment_date, NEW.start_time, NEW.end_time, NEW.status, NEW.deleted_at);
END//
DELIMITER ;
