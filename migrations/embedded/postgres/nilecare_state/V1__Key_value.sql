-- nilecare_state: what Redis holds in production (SMART sessions, grants, codes, launch contexts, the revoked-token
-- list; rate-limit counters), kept durably in the FHIR store's PostgreSQL or PGlite when REDIS_URL is not set.
-- One row per key; `value` is a JSON string, object (a Redis hash), array (a list) or number (a counter).
CREATE TABLE kv_entries (
  key        TEXT        NOT NULL PRIMARY KEY,
  value      JSONB       NOT NULL,
  expires_at TIMESTAMPTZ NULL
);
CREATE INDEX kv_entries_expires_at ON kv_entries (expires_at) WHERE expires_at IS NOT NULL;
