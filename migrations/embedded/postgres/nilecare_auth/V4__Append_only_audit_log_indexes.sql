-- auth_audit_logs takes one row per audited request (every read and search, issue 20): an append-only trail whose
-- rows arrive in time order, with time-ordered ids (UUID version 7, server/auth/audit-log-id.ts). Its indexes are made
-- to cost little per row while keeping each lookup the schema reference and an auditor need:
--  * time: BRIN instead of a b-tree (a few pages for the whole table; rows arrive in time order);
--  * user: only the rows that have one (backend services act without a user; the foreign key's ON DELETE SET NULL
--    still finds a user's rows through it, `user_id = x` implying `user_id IS NOT NULL`);
--  * action: only the authentication events (login, token, …); FHIR access rows (`fhir.*`, the bulk) are found by time.
-- The primary key and the columns are unchanged.
DROP INDEX idx_auth_audit_logs_timestamp;
CREATE INDEX idx_auth_audit_logs_timestamp ON auth_audit_logs USING brin ("timestamp");
DROP INDEX idx_auth_audit_logs_user_id;
CREATE INDEX idx_auth_audit_logs_user_id ON auth_audit_logs (user_id) WHERE user_id IS NOT NULL;
DROP INDEX idx_auth_audit_logs_action;
CREATE INDEX idx_auth_audit_logs_action ON auth_audit_logs (action, "timestamp") WHERE action NOT LIKE 'fhir.%';
