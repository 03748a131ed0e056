-- Read receipts: how far each member has read (monotonic), and reactions on messages.

ALTER TABLE conversation_members ADD COLUMN last_read_seq bigint NOT NULL DEFAULT 0 CHECK (last_read_seq >= 0);

CREATE TABLE message_reactions (
  message_id  uuid        NOT NULL REFERENCES messages (id),
  user_id     text        NOT NULL REFERENCES users (id),
  emoji       text        NOT NULL CHECK (char_length(emoji) BETWEEN 1 AND 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, user_id, emoji)
);
