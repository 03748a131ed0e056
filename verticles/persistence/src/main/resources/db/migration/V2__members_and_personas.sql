-- Conversations with several human members (the user profile), and reply jobs that name
-- the bot that answers (a persona chosen per message, else the conversation's bot).

CREATE TABLE conversation_members (
  conversation_id  uuid        NOT NULL REFERENCES conversations (id),
  user_id          text        NOT NULL REFERENCES users (id),
  role             text        NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'member')),
  added_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, user_id)
);
-- "whom does this user share a conversation with" (presence audiences)
CREATE INDEX conversation_members_user_idx ON conversation_members (user_id);

INSERT INTO conversation_members (conversation_id, user_id, role)
SELECT id, owner_id, 'owner' FROM conversations;

ALTER TABLE reply_jobs ADD COLUMN bot_id uuid REFERENCES bots (id);
