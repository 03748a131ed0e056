-- The per-user concurrency limit, checked inside the claim statement itself.
-- A user's running generations are listed in ONE row per user (parallel arrays: job id and
-- its lease end). The claim upserts that row: ON CONFLICT DO UPDATE locks it and reads its
-- newest version, so two claims of one user on two nodes always see each other, in one
-- statement (a count over reply_jobs would read the statement's older snapshot).
-- Crash-safe without repair: an entry counts only while its lease end is in the future; the
-- renewal extends it, completion / failure / release remove it, the next claim drops stale ones.
-- Per user, not per day: a generation running across midnight still counts.
CREATE TABLE ai_running (
  user_id  text          PRIMARY KEY,
  jobs     uuid[]        NOT NULL DEFAULT '{}',
  leases   timestamptz[] NOT NULL DEFAULT '{}'
);

-- Nothing counts running jobs over reply_jobs any more (admitted_user_id only names the user
-- whose ai_running entry a job holds): the index of that count goes.
DROP INDEX IF EXISTS reply_jobs_admitted_running_idx;
