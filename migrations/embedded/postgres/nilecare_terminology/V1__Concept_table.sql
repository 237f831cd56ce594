-- Concepts of large code systems uploaded through CodeSystem/[id]/$upload-concepts (server/fhir/terminology/),
-- kept out of the CodeSystem resource (content not-present) and out of memory.
CREATE TABLE concept (
  system     text    NOT NULL,
  version    text    NOT NULL DEFAULT '',
  code       text    NOT NULL,
  -- position in the uploaded order (expansions page in this order)
  seq        integer NOT NULL,
  display    text,
  -- ' ' + the normalised words of display and code, each followed by a space: a text filter word w matches
  -- LIKE '% w%' (a word start)
  words      text    NOT NULL,
  -- the rest of the concept (definition, designation, property) as FHIR JSON
  detail     jsonb,
  PRIMARY KEY (system, version, code)
);
CREATE INDEX concept_order ON concept (system, version, seq);

-- is-a: one row per (concept, direct parent)
CREATE TABLE concept_parent (
  system  text NOT NULL,
  version text NOT NULL DEFAULT '',
  code    text NOT NULL,
  parent  text NOT NULL,
  PRIMARY KEY (system, version, code, parent)
);
CREATE INDEX concept_parent_children ON concept_parent (system, version, parent);

-- a trigram index for the text filter where pg_trgm exists (the FHIR store creates it when it may)
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    EXECUTE 'CREATE INDEX concept_words ON concept USING gin (words gin_trgm_ops)';
  END IF;
END
$$;
