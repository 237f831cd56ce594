-- nilecare_facility: facilities, buildings, rooms/beds, equipment and schedulable resources
-- (schema reference §MySQL 6, table names only; columns in migrations/README.md).

CREATE TABLE facilities (
  id             CHAR(36)     NOT NULL DEFAULT (UUID()),
  code           VARCHAR(20)  NOT NULL,
  name           VARCHAR(255) NOT NULL,
  name_ar        VARCHAR(255) NULL COMMENT 'Arabic name',
  facility_type  ENUM('hospital', 'clinic', 'health_center', 'pharmacy', 'laboratory', 'imaging_center') NOT NULL,
  license_number VARCHAR(50)  NULL,
  address_line   VARCHAR(255) NULL,
  city           VARCHAR(100) NULL,
  state          VARCHAR(100) NULL COMMENT 'e.g. Khartoum, Gezira, River Nile',
  country        CHAR(2)      NOT NULL DEFAULT 'SD',
  phone          VARCHAR(20)  NULL,
  email          VARCHAR(255) NULL,
  latitude       DECIMAL(9,6) NULL,
  longitude      DECIMAL(9,6) NULL,
  bed_capacity   INT          NULL,
  timezone       VARCHAR(50)  NOT NULL DEFAULT 'Africa/Khartoum',
  is_active      BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at     TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at     TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at     TIMESTAMP    NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_facilities_code (code),
  INDEX idx_facilities_type (facility_type, is_active),
  CONSTRAINT chk_facilities_geo CHECK ((latitude IS NULL OR latitude BETWEEN -90 AND 90) AND (longitude IS NULL OR longitude BETWEEN -180 AND 180)),
  CONSTRAINT chk_facilities_beds CHECK (bed_capacity IS NULL OR bed_capacity >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE buildings (
  id          CHAR(36)     NOT NULL DEFAULT (UUID()),
  facility_id CHAR(36)     NOT NULL,
  code        VARCHAR(20)  NOT NULL,
  name        VARCHAR(100) NOT NULL,
  floors      INT          NOT NULL DEFAULT 1,
  is_active   BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at  TIMESTAMP    NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_buildings_facility_code (facility_id, code),
  CONSTRAINT fk_buildings_facility FOREIGN KEY (facility_id) REFERENCES facilities (id),
  CONSTRAINT chk_buildings_floors CHECK (floors >= 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE rooms (
  id                 CHAR(36)    NOT NULL DEFAULT (UUID()),
  building_id        CHAR(36)    NOT NULL,
  room_number        VARCHAR(20) NOT NULL,
  floor              INT         NOT NULL DEFAULT 0,
  room_type          ENUM('ward', 'private', 'icu', 'nicu', 'operating_theatre', 'consultation', 'emergency', 'laboratory', 'imaging', 'isolation', 'maternity', 'other') NOT NULL,
  department_id      CHAR(36)    NULL COMMENT 'nilecare_business.departments.id',
  bed_capacity       INT         NOT NULL DEFAULT 0,
  beds_occupied      INT         NOT NULL DEFAULT 0,
  beds_available     INT         GENERATED ALWAYS AS (bed_capacity - beds_occupied) STORED,
  gender_restriction ENUM('male', 'female', 'any') NOT NULL DEFAULT 'any',
  status             ENUM('available', 'occupied', 'cleaning', 'maintenance', 'closed') NOT NULL DEFAULT 'available',
  daily_rate         DECIMAL(10,2) NULL,
  is_active          BOOLEAN     NOT NULL DEFAULT TRUE,
  created_at         TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at         TIMESTAMP   NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_rooms_building_number (building_id, room_number),
  INDEX idx_rooms_type_status (room_type, status),
  CONSTRAINT fk_rooms_building FOREIGN KEY (building_id) REFERENCES buildings (id),
  CONSTRAINT chk_rooms_beds CHECK (bed_capacity >= 0 AND beds_occupied >= 0 AND beds_occupied <= bed_capacity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE equipment (
  id                    CHAR(36)      NOT NULL DEFAULT (UUID()),
  facility_id           CHAR(36)      NOT NULL,
  room_id               CHAR(36)      NULL,
  asset_tag             VARCHAR(50)   NOT NULL,
  name                  VARCHAR(255)  NOT NULL,
  category              ENUM('imaging', 'monitoring', 'life_support', 'laboratory', 'surgical', 'therapeutic', 'diagnostic', 'sterilization', 'other') NOT NULL,
  manufacturer          VARCHAR(100)  NULL,
  model                 VARCHAR(100)  NULL,
  serial_number         VARCHAR(100)  NULL,
  device_id             CHAR(36)      NULL COMMENT 'nilecare_devices.devices.id when connected',
  purchase_date         DATE          NULL,
  purchase_cost         DECIMAL(12,2) NULL,
  currency              VARCHAR(3)    NOT NULL DEFAULT 'SDG',
  warranty_expiry       DATE          NULL,
  last_maintenance_date DATE          NULL,
  next_maintenance_due  DATE          NULL,
  status                ENUM('operational', 'in_use', 'maintenance', 'out_of_service', 'retired') NOT NULL DEFAULT 'operational',
  created_at            TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at            TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at            TIMESTAMP     NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_equipment_asset_tag (asset_tag),
  INDEX idx_equipment_facility (facility_id, status),
  INDEX idx_equipment_room (room_id),
  INDEX idx_equipment_maintenance (next_maintenance_due),
  CONSTRAINT fk_equipment_facility FOREIGN KEY (facility_id) REFERENCES facilities (id),
  CONSTRAINT fk_equipment_room FOREIGN KEY (room_id) REFERENCES rooms (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE resources (
  id                    CHAR(36)     NOT NULL DEFAULT (UUID()),
  facility_id           CHAR(36)     NOT NULL,
  resource_type         ENUM('room', 'bed', 'equipment', 'staff', 'vehicle') NOT NULL,
  room_id               CHAR(36)     NULL,
  equipment_id          CHAR(36)     NULL,
  staff_id              CHAR(36)     NULL COMMENT 'nilecare_business.staff.id',
  name                  VARCHAR(255) NOT NULL,
  capacity              INT          NOT NULL DEFAULT 1,
  is_bookable           BOOLEAN      NOT NULL DEFAULT TRUE,
  booking_slot_minutes  INT          NOT NULL DEFAULT 30,
  is_active             BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at            TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at            TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at            TIMESTAMP    NULL,
  PRIMARY KEY (id),
  INDEX idx_resources_facility (facility_id, resource_type),
  INDEX idx_resources_room (room_id),
  INDEX idx_resources_equipment (equipment_id),
  CONSTRAINT fk_resources_facility FOREIGN KEY (facility_id) REFERENCES facilities (id),
  CONSTRAINT fk_resources_room FOREIGN KEY (room_id) REFERENCES rooms (id),
  CONSTRAINT fk_resources_equipment FOREIGN KEY (equipment_id) REFERENCES equipment (id),
  CONSTRAINT chk_resources_target CHECK (
    (resource_type NOT IN ('room', 'bed') OR room_id IS NOT NULL)
    AND (resource_type <> 'equipment' OR equipment_id IS NOT NULL)
    AND (resource_type <> 'staff' OR staff_id IS NOT NULL)),
  CONSTRAINT chk_resources_slots CHECK (capacity >= 1 AND booking_slot_minutes BETWEEN 5 AND 1440)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
