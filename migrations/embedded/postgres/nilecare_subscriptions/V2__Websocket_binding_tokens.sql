-- Websocket binding tokens (Subscription/$get-ws-binding-token, Subscriptions R5 Backport IG): short-lived,
-- single-purpose tokens a websocket client presents with `bind-with-token <token>` instead of its access token. Only
-- the SHA-256 of the token is kept; the token names the subscriptions it binds and the owner they had when it was
-- issued (a subscription since written by someone else no longer binds). Shared by every node (the bookkeeping lives
-- beside the FHIR data), so a client may connect to any node. Expired rows are dropped when tokens are issued.
CREATE TABLE websocket_binding_tokens (
  token_sha256     TEXT        NOT NULL PRIMARY KEY,
  subscription_ids JSONB       NOT NULL,
  owner_who        TEXT        NOT NULL,
  owner_compartment TEXT       NULL,
  expires_at       TIMESTAMPTZ NOT NULL
);

CREATE INDEX websocket_binding_tokens_expires ON websocket_binding_tokens (expires_at);
