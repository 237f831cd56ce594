-- Undo of V1__Initial_schema.sql (and the views of R__Create_views.sql that depend on it).
DROP VIEW IF EXISTS v_expiring_stock;
DROP VIEW IF EXISTS v_items_to_reorder;
DROP TABLE IF EXISTS inventory_transactions;
DROP TABLE IF EXISTS stock_levels;
DROP TABLE IF EXISTS purchase_orders;
DROP TABLE IF EXISTS inventory_items;
DROP TABLE IF EXISTS suppliers;
