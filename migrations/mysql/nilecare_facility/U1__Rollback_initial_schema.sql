-- Undo of V1__Initial_schema.sql.
DROP TABLE IF EXISTS resources;
DROP TABLE IF EXISTS equipment;
DROP TABLE IF EXISTS rooms;
DROP TABLE IF EXISTS buildings;
DROP TABLE IF EXISTS facilities;
