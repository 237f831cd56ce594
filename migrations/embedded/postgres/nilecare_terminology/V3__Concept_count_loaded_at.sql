-- When each code system version's concepts were last loaded: the in-memory word index of a code system
-- (server/fhir/terminology/word-index.ts) is kept under this stamp, so that an upload by any node replaces it.
ALTER TABLE concept_count ADD COLUMN loaded_at timestamptz NOT NULL DEFAULT clock_timestamp();
