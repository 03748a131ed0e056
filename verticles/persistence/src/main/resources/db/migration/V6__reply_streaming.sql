-- The AI engine's per-user limits, cluster-wide and crash-safe.
-- A running job counts against the user it was admitted for only while its lease is
-- valid: a dead node's generations stop counting when their leases expire, with no
-- counter to repair. (One stored reply per user message is already messages_one_reply_key, V1.)

ALTER TABLE reply_jobs ADD COLUMN admitted_user_id text;
CREATE INDEX reply_jobs_admitted_running_idx ON reply_jobs (admitted_user_id) WHERE status = 'running';

-- Tokens (prompt + completion) used per user per UTC day; the row is also the lock that
-- serializes one user's admissions.
CREATE TABLE ai_usage (
  user_id  text    NOT NULL,
  day      date    NOT NULL,
  tokens   bigint  NOT NULL DEFAULT 0 CHECK (tokens >= 0),
  PRIMARY KEY (user_id, day)
);
