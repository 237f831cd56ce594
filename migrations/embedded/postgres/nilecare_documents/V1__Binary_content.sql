-- The bytes of Binary resources, in 1 MiB chunks beside the FHIR store (server/store/postgres/pg-content-store.ts).
-- A content row is written after all of its chunks: chunks without one belong to an upload that did not finish.
CREATE TABLE binary_content (
  content_id   text PRIMARY KEY,
  content_type text NOT NULL,
  size         bigint NOT NULL CHECK (size >= 0),
  sha1         text NOT NULL,
  chunks       integer NOT NULL CHECK (chunks >= 1),
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE binary_content_chunk (
  content_id text NOT NULL,
  n          integer NOT NULL CHECK (n >= 0),
  data       bytea NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (content_id, n)
);

-- PDFs, JPEGs and DICOM are compressed already: store the chunks out of line without trying to compress them again.
ALTER TABLE binary_content_chunk ALTER COLUMN data SET STORAGE EXTERNAL;
