-- nilecare_subscriptions: delivery bookkeeping of FHIR Subscriptions (#22), kept in the FHIR store's own PostgreSQL
-- or PGlite (with a MongoDB store: the embedded PGlite of the server's state). Written by the one change-feed
-- consumer (server/change-feed) in the transaction that moves its cursor, so nothing is lost across a crash.

-- The consumer's cursor row (server/change-feed/feed-state.ts).
CREATE TABLE notification_cursor (
  name           TEXT        NOT NULL PRIMARY KEY,
  cursor_seq     BIGINT      NOT NULL DEFAULT 0,
  queued         BIGINT      NOT NULL DEFAULT 0,
  last_change_at TEXT        NULL
);

-- The subscriptions as of the cursor (each Subscription change is applied in log order), and their delivery state:
-- events_queued = the last event number given out (monotonic per subscription), delivered_through = the last
-- event number the channel accepted.
CREATE TABLE notification_subscriptions (
  subscription_id   TEXT        NOT NULL PRIMARY KEY,
  resource          JSONB       NOT NULL,
  status            TEXT        NOT NULL,
  events_queued     BIGINT      NOT NULL DEFAULT 0,
  delivered_through BIGINT      NOT NULL DEFAULT 0,
  failures          INT         NOT NULL DEFAULT 0,
  next_attempt_at   TIMESTAMPTZ NULL,
  last_delivery_at  TIMESTAMPTZ NULL,
  last_error        TEXT        NULL,
  last_error_at     TIMESTAMPTZ NULL,
  removed           BOOLEAN     NOT NULL DEFAULT FALSE
);

-- One row per notification event, kept until delivered (and a while after, for $events).
CREATE TABLE notification_events (
  subscription_id TEXT        NOT NULL,
  event_number    BIGINT      NOT NULL,
  change_seq      BIGINT      NOT NULL,
  resource_type   TEXT        NOT NULL,
  resource_id     TEXT        NOT NULL,
  version_id      INT         NOT NULL,
  deleted         BOOLEAN     NOT NULL,
  occurred_at     TEXT        NOT NULL,
  queued_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (subscription_id, event_number)
);
