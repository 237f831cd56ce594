-- Corrections to V3's marking of rows projected before it (issue #17). V3 took every non-formulary medication
-- and every high-alert row with the projection's warning text for the projection's; but a pharmacy registers
-- its own non-formulary drugs (imports, donations): marked so, a rebuild soft-deleted them. The projection has
-- always given the medications and high-alert rows it added ids derived from the code or name (stableUuid in
-- adapters/outbox/rows.ts: name-based, version nibble 5); the pharmacy's own rows have random (v4) or time-based
-- (MariaDB UUID(), v1) ids. So a marked row without fhir_id whose id is not name-based is the pharmacy's.
UPDATE medications SET source = NULL
 WHERE source = 'fhir' AND fhir_id IS NULL
   AND id NOT REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
UPDATE high_alert_medications SET source = NULL
 WHERE source = 'fhir'
   AND id NOT REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
