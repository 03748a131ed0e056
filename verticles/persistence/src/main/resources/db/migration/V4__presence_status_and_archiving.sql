-- Last seen (when a user's last socket went away, kept across cluster restarts) and
-- per-member archiving (archiving hides a conversation for that member only).

ALTER TABLE users ADD COLUMN last_seen_at timestamptz;

ALTER TABLE conversation_members ADD COLUMN archived_at timestamptz;
-- "my conversations, archived or not" reads a member's rows by user (conversation_members_user_idx)
