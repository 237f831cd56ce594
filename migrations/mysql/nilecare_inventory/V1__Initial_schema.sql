-- nilecare_inventory: pharmacy and medical supply stock (schema reference §MySQL 10, table names only;
-- columns in migrations/README.md). Stock moves only through inventory_transactions: a trigger
-- applies each movement to stock_levels, and stock can never go below zero.

CREATE TABLE suppliers (
  id                 CHAR(36)     NOT NULL DEFAULT (UUID()),
  supplier_code      VARCHAR(50)  NOT NULL,
  name               VARCHAR(255) NOT NULL,
  contact_name       VARCHAR(100) NULL,
  phone              VARCHAR(20)  NULL,
  email              VARCHAR(255) NULL,
  address            VARCHAR(255) NULL,
  city               VARCHAR(100) NULL,
  country            CHAR(2)      NOT NULL DEFAULT 'SD',
  tax_number         VARCHAR(50)  NULL,
  payment_terms_days INT          NOT NULL DEFAULT 30,
  rating             TINYINT      NULL COMMENT '1-5',
  is_active          BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at         TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at         TIMESTAMP    NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_suppliers_code (supplier_code),
  INDEX idx_suppliers_name (name),
  CONSTRAINT chk_suppliers_rating CHECK (rating IS NULL OR rating BETWEEN 1 AND 5)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE inventory_items (
  id                    CHAR(36)      NOT NULL DEFAULT (UUID()),
  item_code             VARCHAR(50)   NOT NULL COMMENT 'SKU',
  name                  VARCHAR(255)  NOT NULL,
  description           TEXT          NULL,
  category              ENUM('medication', 'medical_supply', 'surgical', 'laboratory', 'equipment_part', 'linen', 'office', 'food', 'other') NOT NULL,
  medication_id         CHAR(36)      NULL COMMENT 'nilecare_medication.medications.id',
  unit_of_measure       VARCHAR(20)   NOT NULL,
  pack_size             INT           NOT NULL DEFAULT 1,
  reorder_level         DECIMAL(12,2) NOT NULL DEFAULT 0,
  reorder_quantity      DECIMAL(12,2) NOT NULL DEFAULT 0,
  unit_cost             DECIMAL(12,2) NULL,
  currency              VARCHAR(3)    NOT NULL DEFAULT 'SDG',
  is_controlled         BOOLEAN       NOT NULL DEFAULT FALSE,
  requires_cold_chain   BOOLEAN       NOT NULL DEFAULT FALSE,
  preferred_supplier_id CHAR(36)      NULL,
  is_active             BOOLEAN       NOT NULL DEFAULT TRUE,
  created_at            TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at            TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at            TIMESTAMP     NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_inventory_items_code (item_code),
  INDEX idx_inventory_items_category (category, is_active),
  INDEX idx_inventory_items_medication (medication_id),
  INDEX idx_inventory_items_supplier (preferred_supplier_id),
  CONSTRAINT fk_inventory_items_supplier FOREIGN KEY (preferred_supplier_id) REFERENCES suppliers (id),
  CONSTRAINT chk_inventory_items_pack CHECK (pack_size >= 1 AND reorder_level >= 0 AND reorder_quantity >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE purchase_orders (
  id                     CHAR(36)      NOT NULL DEFAULT (UUID()),
  po_number              VARCHAR(50)   NOT NULL,
  supplier_id            CHAR(36)      NOT NULL,
  facility_id            CHAR(36)      NULL,
  status                 ENUM('draft', 'submitted', 'approved', 'ordered', 'partially_received', 'received', 'cancelled', 'closed') NOT NULL DEFAULT 'draft',
  order_date             DATE          NOT NULL,
  expected_delivery_date DATE          NULL,
  received_date          DATE          NULL,
  order_lines            JSON          NOT NULL COMMENT '[{"item_id", "quantity", "unit_cost", "received_quantity"}]',
  subtotal               DECIMAL(12,2) NOT NULL DEFAULT 0,
  tax_amount             DECIMAL(12,2) NOT NULL DEFAULT 0,
  total_amount           DECIMAL(12,2) GENERATED ALWAYS AS (subtotal + tax_amount) STORED,
  currency               VARCHAR(3)    NOT NULL DEFAULT 'SDG',
  created_by             CHAR(36)      NULL,
  approved_by            CHAR(36)      NULL,
  approved_at            DATETIME      NULL,
  notes                  TEXT          NULL,
  created_at             TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at             TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at             TIMESTAMP     NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_purchase_orders_number (po_number),
  INDEX idx_purchase_orders_supplier (supplier_id, order_date),
  INDEX idx_purchase_orders_status (status),
  CONSTRAINT fk_purchase_orders_supplier FOREIGN KEY (supplier_id) REFERENCES suppliers (id),
  CONSTRAINT chk_purchase_orders_lines CHECK (JSON_VALID(order_lines)),
  CONSTRAINT chk_purchase_orders_dates CHECK (expected_delivery_date IS NULL OR expected_delivery_date >= order_date),
  CONSTRAINT chk_purchase_orders_approval CHECK (status NOT IN ('approved', 'ordered', 'partially_received', 'received') OR approved_by IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE stock_levels (
  id                 CHAR(36)      NOT NULL DEFAULT (UUID()),
  item_id            CHAR(36)      NOT NULL,
  location_id        CHAR(36)      NOT NULL COMMENT 'store / pharmacy / ward (nilecare_facility)',
  batch_number       VARCHAR(50)   NOT NULL DEFAULT '' COMMENT 'empty = not batch-tracked',
  expiry_date        DATE          NULL,
  quantity_on_hand   DECIMAL(12,2) NOT NULL DEFAULT 0,
  quantity_reserved  DECIMAL(12,2) NOT NULL DEFAULT 0,
  quantity_available DECIMAL(12,2) GENERATED ALWAYS AS (quantity_on_hand - quantity_reserved) STORED,
  last_counted_at    DATETIME      NULL,
  created_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_stock_levels_item_location_batch (item_id, location_id, batch_number),
  INDEX idx_stock_levels_location (location_id),
  INDEX idx_stock_levels_expiry (expiry_date),
  CONSTRAINT fk_stock_levels_item FOREIGN KEY (item_id) REFERENCES inventory_items (id),
  CONSTRAINT chk_stock_levels_quantities CHECK (quantity_on_hand >= 0 AND quantity_reserved >= 0 AND quantity_reserved <= quantity_on_hand)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE inventory_transactions (
  id                 CHAR(36)      NOT NULL DEFAULT (UUID()),
  transaction_number VARCHAR(50)   NOT NULL,
  item_id            CHAR(36)      NOT NULL,
  location_id        CHAR(36)      NOT NULL,
  batch_number       VARCHAR(50)   NOT NULL DEFAULT '',
  expiry_date        DATE          NULL,
  transaction_type   ENUM('receipt', 'issue', 'transfer_in', 'transfer_out', 'adjustment', 'return', 'disposal', 'expired') NOT NULL,
  quantity           DECIMAL(12,2) NOT NULL COMMENT 'signed: positive adds to stock, negative removes',
  unit_cost          DECIMAL(12,2) NULL,
  purchase_order_id  CHAR(36)      NULL,
  reference_type     ENUM('purchase_order', 'prescription', 'mar_entry', 'transfer', 'stock_count', 'manual') NULL,
  reference_id       CHAR(36)      NULL,
  reason             VARCHAR(255)  NULL,
  performed_by       CHAR(36)      NULL,
  created_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_inventory_transactions_number (transaction_number),
  INDEX idx_inventory_transactions_item (item_id, created_at),
  INDEX idx_inventory_transactions_po (purchase_order_id),
  INDEX idx_inventory_transactions_reference (reference_type, reference_id),
  CONSTRAINT fk_inventory_transactions_item FOREIGN KEY (item_id) REFERENCES inventory_items (id),
  CONSTRAINT fk_inventory_transactions_po FOREIGN KEY (purchase_order_id) REFERENCES purchase_orders (id),
  CONSTRAINT chk_inventory_transactions_sign CHECK (
    (transaction_type IN ('receipt', 'transfer_in', 'return') AND quantity > 0)
    OR (transaction_type IN ('issue', 'transfer_out', 'disposal', 'expired') AND quantity < 0)
    OR (transaction_type = 'adjustment' AND quantity <> 0))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DELIMITER //
-- Transactions are an append-only ledger; each one moves stock_levels in the same statement, so a
-- movement that would make stock negative fails (chk_stock_levels_quantities) and is not recorded.
CREATE TRIGGER trg_inventory_transactions_ai AFTER INSERT ON inventory_transactions FOR EACH ROW
BEGIN
  -- UPDATE first: MariaDB checks CHECK constraints on the would-be inserted row even when
  -- INSERT … ON DUPLICATE KEY UPDATE then updates, so an upsert would refuse every issue.
  UPDATE stock_levels
     SET quantity_on_hand = quantity_on_hand + NEW.quantity,
         expiry_date = COALESCE(expiry_date, NEW.expiry_date)
   WHERE item_id = NEW.item_id AND location_id = NEW.location_id AND batch_number = NEW.batch_number;
  IF ROW_COUNT() = 0 THEN
    INSERT INTO stock_levels (item_id, location_id, batch_number, expiry_date, quantity_on_hand)
    VALUES (NEW.item_id, NEW.location_id, NEW.batch_number, NEW.expiry_date, NEW.quantity);
  END IF;
END//
CREATE TRIGGER trg_inventory_transactions_bu BEFORE UPDATE ON inventory_transactions FOR EACH ROW
BEGIN
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'inventory_transactions: the ledger is append-only; post a correcting adjustment';
END//
CREATE TRIGGER trg_inventory_transactions_bd BEFORE DELETE ON inventory_transactions FOR EACH ROW
BEGIN
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'inventory_transactions: the ledger is append-only; post a correcting adjustment';
END//
DELIMITER ;
