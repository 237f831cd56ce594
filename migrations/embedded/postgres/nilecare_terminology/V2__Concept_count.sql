-- How many concepts each uploaded code system version holds, written with its concepts: $expand reads one row
-- instead of counting 100k concepts on every request.
CREATE TABLE concept_count (
  system  text    NOT NULL,
  version text    NOT NULL DEFAULT '',
  count   integer NOT NULL,
  PRIMARY KEY (system, version)
);
INSERT INTO concept_count (system, version, count) SELECT system, version, count(*) FROM concept GROUP BY system, version;
