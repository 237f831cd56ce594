-- A content is claimed by the transaction that commits the Binary version naming it (server/store/postgres/
-- write-versions.ts): the bytes stream in beforehand, in their own statements, and become part of the record only
-- with the resource. Unclaimed content older than an hour belongs to a write that failed or died and is removed at
-- start (pg-content-store.ts). Content stored before this column existed was committed with its Binary: claimed.
ALTER TABLE binary_content ADD COLUMN claimed boolean NOT NULL DEFAULT true;
ALTER TABLE binary_content ALTER COLUMN claimed SET DEFAULT false;
CREATE INDEX binary_content_unclaimed ON binary_content (created_at) WHERE NOT claimed;
