-- nilecare_notifications: multi-channel notification queue, templates, preferences and delivery log
-- (schema reference §PostgreSQL 2, table names only; columns in migrations/README.md). Arabic is the
-- default template locale; times are TIMESTAMPTZ (UTC), quiet hours in the user's time zone.

CREATE OR REPLACE FUNCTION nilecare_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE TABLE notification_templates (
  id         UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
  code       VARCHAR(100) NOT NULL,
  channel    VARCHAR(20)  NOT NULL,
  locale     VARCHAR(10)  NOT NULL DEFAULT 'ar',
  version    INT          NOT NULL DEFAULT 1,
  subject    VARCHAR(255),
  body       TEXT         NOT NULL,
  variables  JSONB        NOT NULL DEFAULT '[]'::jsonb,
  is_active  BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT notification_templates_key UNIQUE (code, channel, locale, version),
  CONSTRAINT notification_templates_channel_check CHECK (channel IN ('email', 'sms', 'push', 'in_app', 'whatsapp')),
  CONSTRAINT notification_templates_subject_check CHECK (channel <> 'email' OR subject IS NOT NULL)
);
CREATE TRIGGER trg_notification_templates_updated_at BEFORE UPDATE ON notification_templates FOR EACH ROW EXECUTE FUNCTION nilecare_set_updated_at();

CREATE TABLE notification_preferences (
  id                UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id           UUID         NOT NULL,
  channel           VARCHAR(20)  NOT NULL,
  category          VARCHAR(50)  NOT NULL,
  enabled           BOOLEAN      NOT NULL DEFAULT TRUE,
  contact           VARCHAR(255),
  quiet_hours_start TIME,
  quiet_hours_end   TIME,
  timezone          VARCHAR(50)  NOT NULL DEFAULT 'Africa/Khartoum',
  created_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT notification_preferences_key UNIQUE (user_id, channel, category),
  CONSTRAINT notification_preferences_channel_check CHECK (channel IN ('email', 'sms', 'push', 'in_app', 'whatsapp')),
  CONSTRAINT notification_preferences_category_check CHECK (category IN ('appointment', 'billing', 'lab_result', 'medication', 'security', 'general', 'marketing')),
  CONSTRAINT notification_preferences_quiet_check CHECK ((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL))
);
CREATE TRIGGER trg_notification_preferences_updated_at BEFORE UPDATE ON notification_preferences FOR EACH ROW EXECUTE FUNCTION nilecare_set_updated_at();

CREATE TABLE notifications (
  id             UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
  recipient_id   UUID         NOT NULL,
  recipient_type VARCHAR(20)  NOT NULL DEFAULT 'patient',
  channel        VARCHAR(20)  NOT NULL,
  category       VARCHAR(50)  NOT NULL DEFAULT 'general',
  template_id    UUID         REFERENCES notification_templates (id),
  destination    VARCHAR(255),
  subject        VARCHAR(255),
  body           TEXT         NOT NULL,
  data           JSONB,
  priority       VARCHAR(10)  NOT NULL DEFAULT 'normal',
  status         VARCHAR(20)  NOT NULL DEFAULT 'pending',
  scheduled_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
  sent_at        TIMESTAMPTZ,
  delivered_at   TIMESTAMPTZ,
  read_at        TIMESTAMPTZ,
  attempts       INT          NOT NULL DEFAULT 0,
  max_attempts   INT          NOT NULL DEFAULT 3,
  last_error     TEXT,
  correlation_id VARCHAR(100),
  created_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT notifications_channel_check CHECK (channel IN ('email', 'sms', 'push', 'in_app', 'whatsapp')),
  CONSTRAINT notifications_recipient_type_check CHECK (recipient_type IN ('patient', 'staff', 'user')),
  CONSTRAINT notifications_priority_check CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  CONSTRAINT notifications_status_check CHECK (status IN ('pending', 'queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled')),
  CONSTRAINT notifications_attempts_check CHECK (attempts >= 0 AND max_attempts >= 1)
);
CREATE INDEX idx_notifications_due ON notifications (scheduled_at, priority) WHERE status IN ('pending', 'queued');
CREATE INDEX idx_notifications_recipient ON notifications (recipient_id, created_at DESC);
CREATE INDEX idx_notifications_unread ON notifications (recipient_id) WHERE read_at IS NULL AND channel = 'in_app';
CREATE INDEX idx_notifications_template_id ON notifications (template_id);
CREATE INDEX idx_notifications_correlation ON notifications (correlation_id);
CREATE TRIGGER trg_notifications_updated_at BEFORE UPDATE ON notifications FOR EACH ROW EXECUTE FUNCTION nilecare_set_updated_at();

CREATE TABLE notification_delivery_log (
  id                  UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
  notification_id     UUID         NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  attempt             INT          NOT NULL,
  channel             VARCHAR(20)  NOT NULL,
  provider            VARCHAR(50),
  provider_message_id VARCHAR(255),
  status              VARCHAR(20)  NOT NULL,
  response_code       VARCHAR(50),
  response_body       TEXT,
  error_message       TEXT,
  created_at          TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT notification_delivery_log_status_check CHECK (status IN ('sent', 'delivered', 'failed', 'bounced', 'rejected')),
  CONSTRAINT notification_delivery_log_attempt_key UNIQUE (notification_id, attempt, status)
);
CREATE INDEX idx_notification_delivery_log_provider ON notification_delivery_log (provider, provider_message_id);

-- Each delivery report moves its notification: attempts, status, timestamps and the last error.
CREATE OR REPLACE FUNCTION notification_delivery_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE notifications n SET
    attempts     = GREATEST(n.attempts, NEW.attempt),
    status       = CASE
                     WHEN NEW.status = 'delivered' THEN CASE WHEN n.status = 'read' THEN 'read' ELSE 'delivered' END
                     WHEN NEW.status = 'sent' THEN CASE WHEN n.status IN ('delivered', 'read') THEN n.status ELSE 'sent' END
                     WHEN GREATEST(n.attempts, NEW.attempt) >= n.max_attempts THEN 'failed'
                     ELSE 'pending'
                   END,
    sent_at      = CASE WHEN NEW.status IN ('sent', 'delivered') THEN COALESCE(n.sent_at, NEW.created_at) ELSE n.sent_at END,
    delivered_at = CASE WHEN NEW.status = 'delivered' THEN NEW.created_at ELSE n.delivered_at END,
    last_error   = CASE WHEN NEW.status IN ('failed', 'bounced', 'rejected') THEN COALESCE(NEW.error_message, NEW.status) ELSE n.last_error END
  WHERE n.id = NEW.notification_id;
  RETURN NEW;
END $$;
CREATE TRIGGER trg_notification_delivery_log_ai AFTER INSERT ON notification_delivery_log FOR EACH ROW EXECUTE FUNCTION notification_delivery_apply();
