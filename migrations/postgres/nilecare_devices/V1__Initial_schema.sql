-- nilecare_devices: medical device registry, time-series readings, alerts, calibration history
-- (schema reference §PostgreSQL 1). One migration for both kinds of server:
--  * with TimescaleDB (extension available and preloaded): device_readings is a hypertable on
--    "timestamp" with compression after 7 days (segment by device_id, patient_id) and a 1-year
--    retention policy, both run by TimescaleDB's job scheduler;
--  * without it: device_readings is natively RANGE-partitioned by month, with a DEFAULT partition
--    so no insert ever fails; nilecare_maintain() (run after every `npm run migrate`, and daily from cron with
--    `tsx server/migrate/cli.ts maintain -d nilecare_devices`) creates the coming months' partitions and applies the same 1-year retention.
-- UUIDs come from gen_random_uuid() (core since PostgreSQL 13), so no uuid-ossp is needed.

CREATE OR REPLACE FUNCTION nilecare_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE TABLE devices (
  id                 UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
  device_type        VARCHAR(50)  NOT NULL,
  manufacturer       VARCHAR(255),
  model              VARCHAR(255),
  serial_number      VARCHAR(255) NOT NULL,
  location           VARCHAR(255),
  status             VARCHAR(20)  NOT NULL DEFAULT 'offline',
  last_communication TIMESTAMP,
  assigned_patient_id UUID,
  created_at         TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at         TIMESTAMPTZ  NOT NULL DEFAULT now(),
  deleted_at         TIMESTAMPTZ,
  CONSTRAINT devices_serial_number_key UNIQUE (serial_number),
  CONSTRAINT devices_status_check CHECK (status IN ('online', 'offline', 'maintenance', 'decommissioned'))
);
CREATE INDEX idx_devices_status ON devices (status);
CREATE INDEX idx_devices_device_type ON devices (device_type);
CREATE INDEX idx_devices_assigned_patient_id ON devices (assigned_patient_id);
CREATE TRIGGER trg_devices_updated_at BEFORE UPDATE ON devices FOR EACH ROW EXECUTE FUNCTION nilecare_set_updated_at();

DO $$
DECLARE
  timescale boolean := EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
                       AND current_setting('shared_preload_libraries', true) LIKE '%timescaledb%';
  columns text := $cols$
    device_id     UUID          NOT NULL REFERENCES devices (id),
    patient_id    UUID,
    reading_type  VARCHAR(50)   NOT NULL,
    reading_value DECIMAL(10,2) NOT NULL,
    reading_unit  VARCHAR(20),
    "timestamp"   TIMESTAMPTZ   NOT NULL,
    quality       VARCHAR(20)   NOT NULL DEFAULT 'good',
    CONSTRAINT device_readings_quality_check CHECK (quality IN ('good', 'poor', 'invalid')),
    -- One value per device, reading type and instant; the time column is part of every unique key
    -- (required by both partitioning and hypertables).
    CONSTRAINT device_readings_pkey PRIMARY KEY (device_id, reading_type, "timestamp")
  $cols$;
BEGIN
  IF timescale THEN
    CREATE EXTENSION IF NOT EXISTS timescaledb;
    EXECUTE format('CREATE TABLE device_readings (%s)', columns);
    PERFORM create_hypertable('device_readings', 'timestamp', chunk_time_interval => INTERVAL '1 day');
    ALTER TABLE device_readings SET (
      timescaledb.compress,
      timescaledb.compress_segmentby = 'device_id, patient_id',
      -- every primary-key column must be a segment-by or order-by column of the compression
      timescaledb.compress_orderby = 'reading_type, "timestamp" DESC'
    );
    PERFORM add_compression_policy('device_readings', INTERVAL '7 days');
    PERFORM add_retention_policy('device_readings', INTERVAL '1 year');
  ELSE
    EXECUTE format('CREATE TABLE device_readings (%s) PARTITION BY RANGE ("timestamp")', columns);
    CREATE TABLE device_readings_default PARTITION OF device_readings DEFAULT;
  END IF;
END $$;
CREATE INDEX idx_device_readings_patient_time ON device_readings (patient_id, "timestamp" DESC);
CREATE INDEX idx_device_readings_time ON device_readings ("timestamp" DESC);

-- Partition upkeep and retention for the native layout; a no-op on a TimescaleDB hypertable.
-- Returns one line per action taken.
CREATE OR REPLACE FUNCTION nilecare_maintain(
  p_now timestamptz DEFAULT now(),
  p_retention interval DEFAULT INTERVAL '1 year',
  p_months_ahead int DEFAULT 3
) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  m date;
  lo timestamptz;
  hi timestamptz;
  part text;
  moved bigint;
  cutoff timestamptz := p_now - p_retention;
  r record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'device_readings'::regclass) THEN
    RETURN; -- TimescaleDB hypertable: its policies compress and drop chunks
  END IF;
  -- Monthly partitions from last month to p_months_ahead months ahead (UTC month boundaries).
  FOR i IN -1..p_months_ahead LOOP
    m := (date_trunc('month', p_now AT TIME ZONE 'UTC') + make_interval(months => i))::date;
    lo := m::timestamp AT TIME ZONE 'UTC';
    hi := (m + INTERVAL '1 month')::timestamp AT TIME ZONE 'UTC';
    part := format('device_readings_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
    CONTINUE WHEN to_regclass(part) IS NOT NULL OR hi <= cutoff;
    IF EXISTS (SELECT 1 FROM device_readings_default WHERE "timestamp" >= lo AND "timestamp" < hi) THEN
      -- Rows that landed in the default partition move into their month.
      EXECUTE format('CREATE TABLE %I (LIKE device_readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
      EXECUTE format('WITH d AS (DELETE FROM device_readings_default WHERE "timestamp" >= $1 AND "timestamp" < $2 RETURNING *) INSERT INTO %I SELECT * FROM d', part) USING lo, hi;
      GET DIAGNOSTICS moved = ROW_COUNT;
      EXECUTE format('ALTER TABLE device_readings ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
      RETURN NEXT format('created partition %s (moved %s rows from the default partition)', part, moved);
    ELSE
      EXECUTE format('CREATE TABLE %I PARTITION OF device_readings FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
      RETURN NEXT format('created partition %s', part);
    END IF;
  END LOOP;
  -- Retention: whole months older than the cutoff go; the default partition is trimmed row by row.
  FOR r IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'device_readings'::regclass AND c.relname ~ '^device_readings_y\d{4}m\d{2}$'
  LOOP
    m := to_date(substr(r.relname, 18, 4) || substr(r.relname, 23, 2), 'YYYYMM');
    IF ((m + INTERVAL '1 month')::timestamp AT TIME ZONE 'UTC') <= cutoff THEN
      EXECUTE format('DROP TABLE %I', r.relname);
      RETURN NEXT format('dropped partition %s (older than %s)', r.relname, p_retention);
    END IF;
  END LOOP;
  DELETE FROM device_readings_default WHERE "timestamp" < cutoff;
  GET DIAGNOSTICS moved = ROW_COUNT;
  IF moved > 0 THEN
    RETURN NEXT format('deleted %s readings older than %s from the default partition', moved, p_retention);
  END IF;
END $$;

CREATE TABLE device_alerts (
  id              UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
  device_id       UUID        NOT NULL REFERENCES devices (id),
  patient_id      UUID,
  alert_type      VARCHAR(50) NOT NULL,
  severity        VARCHAR(20) NOT NULL,
  alert_message   TEXT        NOT NULL,
  reading_value   DECIMAL(10,2),
  acknowledged    BOOLEAN     NOT NULL DEFAULT FALSE,
  acknowledged_by UUID,
  acknowledged_at TIMESTAMPTZ,
  "timestamp"     TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT device_alerts_severity_check CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  CONSTRAINT device_alerts_ack_check CHECK (NOT acknowledged OR acknowledged_by IS NOT NULL)
);
CREATE INDEX idx_device_alerts_device_id ON device_alerts (device_id, "timestamp" DESC);
CREATE INDEX idx_device_alerts_patient ON device_alerts (patient_id, "timestamp" DESC);
CREATE INDEX idx_device_alerts_open ON device_alerts (severity, "timestamp") WHERE NOT acknowledged;

CREATE TABLE device_calibration_logs (
  id                   UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
  device_id            UUID        NOT NULL REFERENCES devices (id),
  calibrated_by        UUID,
  calibration_date     TIMESTAMP   NOT NULL,
  next_calibration_due DATE,
  result               VARCHAR(20) NOT NULL DEFAULT 'passed',
  calibration_notes    TEXT,
  created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT device_calibration_logs_result_check CHECK (result IN ('passed', 'failed', 'adjusted')),
  CONSTRAINT device_calibration_logs_due_check CHECK (next_calibration_due IS NULL OR next_calibration_due >= calibration_date::date)
);
CREATE INDEX idx_device_calibration_logs_device_id ON device_calibration_logs (device_id, calibration_date DESC);
CREATE INDEX idx_device_calibration_logs_due ON device_calibration_logs (next_calibration_due);

SELECT nilecare_maintain();
