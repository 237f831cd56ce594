-- Reporting views of nilecare_inventory. Repeatable.

-- Items at or below their reorder level (all locations together).
CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_items_to_reorder AS
SELECT i.id AS item_id, i.item_code, i.name, i.reorder_level, i.reorder_quantity, i.preferred_supplier_id,
       COALESCE(SUM(s.quantity_available), 0) AS quantity_available
  FROM inventory_items i
  LEFT JOIN stock_levels s ON s.item_id = i.id
 WHERE i.is_active AND i.deleted_at IS NULL
 GROUP BY i.id, i.item_code, i.name, i.reorder_level, i.reorder_quantity, i.preferred_supplier_id
HAVING COALESCE(SUM(s.quantity_available), 0) <= i.reorder_level;

-- Batches in stock that expire within 90 days (or have expired).
CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_expiring_stock AS
SELECT s.item_id, i.item_code, i.name, s.location_id, s.batch_number, s.expiry_date, s.quantity_on_hand,
       DATEDIFF(s.expiry_date, CURRENT_DATE) AS days_to_expiry
  FROM stock_levels s
  JOIN inventory_items i ON i.id = s.item_id
 WHERE s.expiry_date IS NOT NULL AND s.quantity_on_hand > 0 AND s.expiry_date <= CURRENT_DATE + INTERVAL 90 DAY;
