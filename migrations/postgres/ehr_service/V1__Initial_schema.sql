-- ehr_service: structured EHR data (schema reference §PostgreSQL 3, table names only; columns in
-- migrations/README.md). Sudanese names have up to four parts (given, father, grandfather, family)
-- and an Arabic spelling; the national number is unique when known.

CREATE OR REPLACE FUNCTION nilecare_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE TABLE patients (
  id                             UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
  mrn                            VARCHAR(50)  NOT NULL,
  national_id                    VARCHAR(50),
  fhir_id                        VARCHAR(64),
  first_name                     VARCHAR(100) NOT NULL,
  father_name                    VARCHAR(100),
  grandfather_name               VARCHAR(100),
  last_name                      VARCHAR(100) NOT NULL,
  full_name_ar                   VARCHAR(255),
  date_of_birth                  DATE,
  gender                         VARCHAR(10)  NOT NULL DEFAULT 'unknown',
  blood_type                     VARCHAR(3),
  marital_status                 VARCHAR(20),
  phone                          VARCHAR(20),
  email                          VARCHAR(255),
  address_line                   VARCHAR(255),
  city                           VARCHAR(100),
  state                          VARCHAR(100),
  country                        CHAR(2)      NOT NULL DEFAULT 'SD',
  preferred_language             VARCHAR(10)  NOT NULL DEFAULT 'ar',
  emergency_contact_name         VARCHAR(200),
  emergency_contact_phone        VARCHAR(20),
  emergency_contact_relationship VARCHAR(50),
  insurance_provider             VARCHAR(100),
  insurance_number               VARCHAR(100),
  deceased                       BOOLEAN      NOT NULL DEFAULT FALSE,
  deceased_at                    TIMESTAMPTZ,
  created_at                     TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at                     TIMESTAMPTZ  NOT NULL DEFAULT now(),
  deleted_at                     TIMESTAMPTZ,
  CONSTRAINT patients_mrn_key UNIQUE (mrn),
  CONSTRAINT patients_national_id_key UNIQUE (national_id),
  CONSTRAINT patients_fhir_id_key UNIQUE (fhir_id),
  CONSTRAINT patients_gender_check CHECK (gender IN ('male', 'female', 'other', 'unknown')),
  CONSTRAINT patients_blood_type_check CHECK (blood_type IS NULL OR blood_type IN ('A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-')),
  CONSTRAINT patients_birth_check CHECK (date_of_birth IS NULL OR date_of_birth > DATE '1880-01-01'),
  CONSTRAINT patients_deceased_check CHECK (deceased_at IS NULL OR deceased)
);
CREATE INDEX idx_patients_name ON patients (lower(last_name), lower(first_name));
CREATE INDEX idx_patients_birth ON patients (date_of_birth);
CREATE INDEX idx_patients_phone ON patients (phone);
CREATE TRIGGER trg_patients_updated_at BEFORE UPDATE ON patients FOR EACH ROW EXECUTE FUNCTION nilecare_set_updated_at();

CREATE TABLE problem_lists (
  id            UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id    UUID         NOT NULL REFERENCES patients (id),
  problem_code  VARCHAR(20),
  code_system   VARCHAR(20)  NOT NULL DEFAULT 'icd10',
  description   VARCHAR(255) NOT NULL,
  status        VARCHAR(20)  NOT NULL DEFAULT 'active',
  severity      VARCHAR(20),
  onset_date    DATE,
  resolved_date DATE,
  recorded_by   UUID,
  notes         TEXT,
  created_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT problem_lists_status_check CHECK (status IN ('active', 'inactive', 'resolved', 'entered_in_error')),
  CONSTRAINT problem_lists_severity_check CHECK (severity IS NULL OR severity IN ('mild', 'moderate', 'severe')),
  CONSTRAINT problem_lists_code_system_check CHECK (code_system IN ('icd10', 'snomed', 'local')),
  CONSTRAINT problem_lists_dates_check CHECK (resolved_date IS NULL OR onset_date IS NULL OR resolved_date >= onset_date)
);
CREATE INDEX idx_problem_lists_patient ON problem_lists (patient_id, status);
CREATE TRIGGER trg_problem_lists_updated_at BEFORE UPDATE ON problem_lists FOR EACH ROW EXECUTE FUNCTION nilecare_set_updated_at();

CREATE TABLE care_plans (
  id          UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id  UUID         NOT NULL REFERENCES patients (id),
  problem_id  UUID         REFERENCES problem_lists (id),
  title       VARCHAR(255) NOT NULL,
  description TEXT,
  category    VARCHAR(50),
  status      VARCHAR(20)  NOT NULL DEFAULT 'draft',
  intent      VARCHAR(20)  NOT NULL DEFAULT 'plan',
  start_date  DATE,
  end_date    DATE,
  goals       JSONB        NOT NULL DEFAULT '[]'::jsonb,
  activities  JSONB        NOT NULL DEFAULT '[]'::jsonb,
  author_id   UUID,
  created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT care_plans_status_check CHECK (status IN ('draft', 'active', 'on_hold', 'revoked', 'completed', 'entered_in_error')),
  CONSTRAINT care_plans_intent_check CHECK (intent IN ('proposal', 'plan', 'order', 'option')),
  CONSTRAINT care_plans_dates_check CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
CREATE INDEX idx_care_plans_patient ON care_plans (patient_id, status);
CREATE INDEX idx_care_plans_problem ON care_plans (problem_id);
CREATE TRIGGER trg_care_plans_updated_at BEFORE UPDATE ON care_plans FOR EACH ROW EXECUTE FUNCTION nilecare_set_updated_at();

CREATE TABLE family_history (
  id                    UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id            UUID         NOT NULL REFERENCES patients (id),
  relationship          VARCHAR(30)  NOT NULL,
  condition_code        VARCHAR(20),
  condition_description VARCHAR(255) NOT NULL,
  onset_age             INT,
  relative_deceased     BOOLEAN,
  notes                 TEXT,
  created_at            TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at            TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT family_history_relationship_check CHECK (relationship IN ('mother', 'father', 'sister', 'brother', 'daughter', 'son', 'grandmother', 'grandfather', 'aunt', 'uncle', 'cousin', 'other')),
  CONSTRAINT family_history_onset_check CHECK (onset_age IS NULL OR onset_age BETWEEN 0 AND 130)
);
CREATE INDEX idx_family_history_patient ON family_history (patient_id);
CREATE TRIGGER trg_family_history_updated_at BEFORE UPDATE ON family_history FOR EACH ROW EXECUTE FUNCTION nilecare_set_updated_at();

CREATE TABLE social_history (
  id          UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id  UUID        NOT NULL REFERENCES patients (id),
  category    VARCHAR(30) NOT NULL,
  status      VARCHAR(20),
  value       TEXT        NOT NULL,
  quantity    VARCHAR(50),
  start_date  DATE,
  end_date    DATE,
  recorded_by UUID,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT social_history_category_check CHECK (category IN ('tobacco', 'alcohol', 'substance_use', 'occupation', 'living_situation', 'education', 'diet', 'physical_activity', 'sexual_health', 'travel', 'other')),
  CONSTRAINT social_history_status_check CHECK (status IS NULL OR status IN ('current', 'former', 'never'))
);
CREATE INDEX idx_social_history_patient ON social_history (patient_id, category);
CREATE TRIGGER trg_social_history_updated_at BEFORE UPDATE ON social_history FOR EACH ROW EXECUTE FUNCTION nilecare_set_updated_at();

CREATE TABLE advance_directives (
  id             UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id     UUID         NOT NULL REFERENCES patients (id),
  directive_type VARCHAR(30)  NOT NULL,
  status         VARCHAR(20)  NOT NULL DEFAULT 'active',
  effective_date DATE         NOT NULL,
  expiry_date    DATE,
  proxy_name     VARCHAR(200),
  proxy_phone    VARCHAR(20),
  document_url   TEXT,
  witnessed_by   UUID,
  notes          TEXT,
  created_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT advance_directives_type_check CHECK (directive_type IN ('dnr', 'living_will', 'healthcare_proxy', 'polst', 'organ_donation', 'other')),
  CONSTRAINT advance_directives_status_check CHECK (status IN ('active', 'revoked', 'superseded', 'expired')),
  CONSTRAINT advance_directives_proxy_check CHECK (directive_type <> 'healthcare_proxy' OR proxy_name IS NOT NULL)
);
-- At most one active directive of each type per patient (e.g. one DNR order in force).
CREATE UNIQUE INDEX idx_advance_directives_active ON advance_directives (patient_id, directive_type) WHERE status = 'active';
CREATE TRIGGER trg_advance_directives_updated_at BEFORE UPDATE ON advance_directives FOR EACH ROW EXECUTE FUNCTION nilecare_set_updated_at();

CREATE TABLE consents (
  id                      UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id              UUID        NOT NULL REFERENCES patients (id),
  consent_type            VARCHAR(30) NOT NULL,
  scope                   TEXT,
  status                  VARCHAR(20) NOT NULL DEFAULT 'active',
  granted_by              VARCHAR(200) NOT NULL,
  relationship_to_patient VARCHAR(30) NOT NULL DEFAULT 'self',
  granted_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at              TIMESTAMPTZ,
  revoked_at              TIMESTAMPTZ,
  revocation_reason       TEXT,
  witness_id              UUID,
  document_url            TEXT,
  fhir_consent_id         VARCHAR(64),
  created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT consents_type_check CHECK (consent_type IN ('treatment', 'surgery', 'anesthesia', 'blood_transfusion', 'data_sharing', 'research', 'telemedicine', 'photography')),
  CONSTRAINT consents_status_check CHECK (status IN ('draft', 'active', 'rejected', 'inactive', 'revoked', 'entered_in_error')),
  CONSTRAINT consents_revoked_check CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
  CONSTRAINT consents_expiry_check CHECK (expires_at IS NULL OR expires_at > granted_at)
);
CREATE INDEX idx_consents_patient ON consents (patient_id, consent_type, status);
CREATE TRIGGER trg_consents_updated_at BEFORE UPDATE ON consents FOR EACH ROW EXECUTE FUNCTION nilecare_set_updated_at();

CREATE TABLE care_team (
  id            UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id    UUID         NOT NULL REFERENCES patients (id),
  member_id     UUID         NOT NULL,
  member_name   VARCHAR(200) NOT NULL,
  role          VARCHAR(30)  NOT NULL,
  specialty     VARCHAR(100),
  is_primary    BOOLEAN      NOT NULL DEFAULT FALSE,
  status        VARCHAR(20)  NOT NULL DEFAULT 'active',
  start_date    DATE         NOT NULL DEFAULT CURRENT_DATE,
  end_date      DATE,
  contact_phone VARCHAR(20),
  created_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT care_team_role_check CHECK (role IN ('primary_physician', 'attending', 'nurse', 'midwife', 'specialist', 'pharmacist', 'social_worker', 'dietitian', 'therapist', 'caregiver')),
  CONSTRAINT care_team_status_check CHECK (status IN ('active', 'inactive')),
  CONSTRAINT care_team_dates_check CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX idx_care_team_patient ON care_team (patient_id, status);
CREATE INDEX idx_care_team_member ON care_team (member_id);
-- One active primary member per patient.
CREATE UNIQUE INDEX idx_care_team_primary ON care_team (patient_id) WHERE is_primary AND status = 'active';
CREATE TRIGGER trg_care_team_updated_at BEFORE UPDATE ON care_team FOR EACH ROW EXECUTE FUNCTION nilecare_set_updated_at();
