-- nilecare_lab: test catalog, orders, specimens and results (schema reference §MySQL 7, table names
-- only; the columns are the choices in migrations/README.md). FHIR: lab_orders <-> ServiceRequest,
-- lab_specimens <-> Specimen, lab_results <-> Observation (status and HL7 table 0078 flags kept as such).

CREATE TABLE lab_tests_catalog (
  id                   CHAR(36)      NOT NULL DEFAULT (UUID()),
  test_code            VARCHAR(50)   NOT NULL,
  loinc_code           VARCHAR(20)   NULL,
  test_name            VARCHAR(255)  NOT NULL,
  category             ENUM('hematology', 'chemistry', 'microbiology', 'immunology', 'serology', 'urinalysis', 'parasitology', 'molecular', 'pathology', 'blood_bank', 'other') NOT NULL,
  specimen_type        VARCHAR(50)   NOT NULL COMMENT 'blood, serum, plasma, urine, stool, csf, swab…',
  container            VARCHAR(50)   NULL,
  unit                 VARCHAR(30)   NULL,
  reference_range_low  DECIMAL(15,4) NULL,
  reference_range_high DECIMAL(15,4) NULL,
  reference_range_text VARCHAR(255)  NULL,
  critical_low         DECIMAL(15,4) NULL,
  critical_high        DECIMAL(15,4) NULL,
  turnaround_hours     INT           NULL,
  requires_fasting     BOOLEAN       NOT NULL DEFAULT FALSE,
  price                DECIMAL(10,2) NULL,
  currency             VARCHAR(3)    NOT NULL DEFAULT 'SDG',
  is_active            BOOLEAN       NOT NULL DEFAULT TRUE,
  created_at           TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at           TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at           TIMESTAMP     NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_lab_tests_catalog_test_code (test_code),
  INDEX idx_lab_tests_catalog_loinc_code (loinc_code),
  INDEX idx_lab_tests_catalog_category (category, is_active),
  CONSTRAINT chk_lab_tests_catalog_range CHECK (reference_range_low IS NULL OR reference_range_high IS NULL OR reference_range_low <= reference_range_high)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE lab_orders (
  id                    CHAR(36)     NOT NULL DEFAULT (UUID()),
  order_number          VARCHAR(50)  NOT NULL,
  placer_order_number   VARCHAR(100) NULL COMMENT 'ORC-2 / OBR-2',
  filler_order_number   VARCHAR(100) NULL COMMENT 'ORC-3 / OBR-3',
  patient_id            CHAR(36)     NOT NULL,
  encounter_id          CHAR(36)     NULL,
  facility_id           CHAR(36)     NULL,
  ordering_provider_id  CHAR(36)     NULL,
  test_id               CHAR(36)     NOT NULL,
  priority              ENUM('routine', 'urgent', 'asap', 'stat') NOT NULL DEFAULT 'routine',
  status                ENUM('draft', 'ordered', 'collected', 'received', 'in_progress', 'preliminary', 'completed', 'cancelled', 'entered_in_error') NOT NULL DEFAULT 'ordered',
  clinical_notes        TEXT         NULL,
  diagnosis_codes       JSON         NULL COMMENT 'ICD-10 codes justifying the order',
  ordered_at            DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  completed_at          DATETIME     NULL,
  cancelled_reason      VARCHAR(255) NULL,
  created_at            TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at            TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at            TIMESTAMP    NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_lab_orders_order_number (order_number),
  INDEX idx_lab_orders_patient (patient_id, ordered_at),
  INDEX idx_lab_orders_status (status, priority),
  INDEX idx_lab_orders_test_id (test_id),
  INDEX idx_lab_orders_encounter_id (encounter_id),
  INDEX idx_lab_orders_placer (placer_order_number),
  INDEX idx_lab_orders_filler (filler_order_number),
  CONSTRAINT fk_lab_orders_test FOREIGN KEY (test_id) REFERENCES lab_tests_catalog (id),
  CONSTRAINT chk_lab_orders_diagnosis CHECK (diagnosis_codes IS NULL OR JSON_VALID(diagnosis_codes))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE lab_specimens (
  id                CHAR(36)     NOT NULL DEFAULT (UUID()),
  specimen_number   VARCHAR(50)  NOT NULL COMMENT 'accession number / barcode',
  order_id          CHAR(36)     NOT NULL,
  patient_id        CHAR(36)     NOT NULL,
  specimen_type     VARCHAR(50)  NOT NULL,
  collection_method VARCHAR(50)  NULL,
  body_site         VARCHAR(100) NULL,
  volume            DECIMAL(8,2) NULL,
  volume_unit       VARCHAR(10)  NULL,
  container         VARCHAR(50)  NULL,
  status            ENUM('pending', 'collected', 'in_transit', 'received', 'processing', 'stored', 'rejected', 'disposed') NOT NULL DEFAULT 'pending',
  rejection_reason  VARCHAR(255) NULL,
  collected_by      CHAR(36)     NULL,
  collected_at      DATETIME     NULL,
  received_at       DATETIME     NULL,
  storage_location  VARCHAR(100) NULL,
  created_at        TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at        TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_lab_specimens_specimen_number (specimen_number),
  INDEX idx_lab_specimens_order_id (order_id),
  INDEX idx_lab_specimens_patient_id (patient_id),
  INDEX idx_lab_specimens_status (status),
  CONSTRAINT fk_lab_specimens_order FOREIGN KEY (order_id) REFERENCES lab_orders (id),
  CONSTRAINT chk_lab_specimens_rejection CHECK (status <> 'rejected' OR rejection_reason IS NOT NULL),
  CONSTRAINT chk_lab_specimens_received CHECK (received_at IS NULL OR collected_at IS NULL OR received_at >= collected_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE lab_results (
  id              CHAR(36)      NOT NULL DEFAULT (UUID()),
  order_id        CHAR(36)      NOT NULL,
  specimen_id     CHAR(36)      NULL,
  test_id         CHAR(36)      NULL,
  patient_id      CHAR(36)      NOT NULL,
  component_code  VARCHAR(50)   NOT NULL COMMENT 'analyte code, LOINC where known (OBX-3)',
  component_name  VARCHAR(255)  NOT NULL,
  value_numeric   DECIMAL(15,4) NULL,
  value_text      TEXT          NULL,
  value_coded     VARCHAR(100)  NULL,
  unit            VARCHAR(30)   NULL,
  reference_range VARCHAR(100)  NULL,
  reference_low   DECIMAL(15,4) NULL,
  reference_high  DECIMAL(15,4) NULL,
  abnormal_flag   ENUM('N', 'L', 'H', 'LL', 'HH', 'A', 'AA') NULL COMMENT 'HL7 table 0078 (OBX-8)',
  is_critical     BOOLEAN       NOT NULL DEFAULT FALSE,
  status          ENUM('registered', 'preliminary', 'final', 'corrected', 'amended', 'cancelled', 'entered_in_error') NOT NULL DEFAULT 'preliminary',
  result_at       DATETIME      NOT NULL DEFAULT CURRENT_TIMESTAMP,
  performed_by    CHAR(36)      NULL,
  verified_by     CHAR(36)      NULL,
  verified_at     DATETIME      NULL,
  notes           TEXT          NULL,
  created_at      TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_lab_results_order_id (order_id),
  INDEX idx_lab_results_specimen_id (specimen_id),
  INDEX idx_lab_results_test_id (test_id),
  INDEX idx_lab_results_patient (patient_id, result_at),
  INDEX idx_lab_results_component (component_code, result_at),
  INDEX idx_lab_results_critical (is_critical, status),
  CONSTRAINT fk_lab_results_order FOREIGN KEY (order_id) REFERENCES lab_orders (id),
  CONSTRAINT fk_lab_results_specimen FOREIGN KEY (specimen_id) REFERENCES lab_specimens (id),
  CONSTRAINT fk_lab_results_test FOREIGN KEY (test_id) REFERENCES lab_tests_catalog (id),
  CONSTRAINT chk_lab_results_value CHECK (value_numeric IS NOT NULL OR value_text IS NOT NULL OR value_coded IS NOT NULL OR status IN ('registered', 'cancelled', 'entered_in_error'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DELIMITER //
-- A result flagged LL, HH or AA (HL7 0078 critical) is always critical, whatever the writer says.
CREATE TRIGGER trg_lab_results_bi BEFORE INSERT ON lab_results FOR EACH ROW
BEGIN
  IF NEW.abnormal_flag IN ('LL', 'HH', 'AA') THEN SET NEW.is_critical = TRUE; END IF;
END//
CREATE TRIGGER trg_lab_results_bu BEFORE UPDATE ON lab_results FOR EACH ROW
BEGIN
  IF NEW.abnormal_flag IN ('LL', 'HH', 'AA') THEN SET NEW.is_critical = TRUE; END IF;
END//
DELIMITER ;
