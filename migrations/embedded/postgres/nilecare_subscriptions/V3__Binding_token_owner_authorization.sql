-- A websocket binding token dies with the access token it was issued to: the row keeps that Authorization header,
-- sealed (AES-256-GCM) under a key derived from the binding token itself, so that `bind-with-token` can authenticate
-- it again (expiry, revocation) and the table alone never yields a usable access token. NULL: issued without one
-- (authorisation off; a token issued before this column existed then binds only where no access token is needed).
ALTER TABLE websocket_binding_tokens ADD COLUMN owner_authorization TEXT NULL;
