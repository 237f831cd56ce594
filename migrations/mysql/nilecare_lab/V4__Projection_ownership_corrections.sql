-- Corrections to V3's marking of rows projected before it (issue #17). V3 took every catalog test with specimen
-- 'unspecified' and every order numbered OBS-… for the projection's, and cleared the catalog placeholders of
-- those tests; but a lab may keep its own test with an unspecified specimen (a send-out test): marked so, a
-- rebuild soft-deleted it. The projection has always given the catalog rows and implicit orders it added ids
-- derived from the code or the Observation (stableUuid in adapters/outbox/rows.ts: name-based, version nibble 5);
-- the lab's own rows have random (v4) or time-based (MariaDB UUID(), v1) ids. So a marked row without fhir_id
-- whose id is not name-based is the lab's: its mark is taken back and its placeholders restored (V3 cleared
-- 'other' / 'unspecified' on exactly the rows it marked; the columns were NOT NULL then).
UPDATE lab_tests_catalog
   SET source = NULL, category = COALESCE(category, 'other'), specimen_type = COALESCE(specimen_type, 'unspecified')
 WHERE source = 'fhir' AND fhir_id IS NULL
   AND id NOT REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
UPDATE lab_orders SET source = NULL
 WHERE source = 'fhir' AND fhir_id IS NULL
   AND id NOT REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
