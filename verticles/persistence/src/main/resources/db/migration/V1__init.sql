-- Chorus schema v1. The persistence verticle is the only writer; every rule that
-- keeps data consistent under concurrency (gap-free seq, idempotent client ids,
-- exactly one reply per user message) is a constraint here, not only code.

CREATE TABLE users (
  id          text        PRIMARY KEY,                 -- the JWT subject
  name        text        NOT NULL DEFAULT '',
  role        text        NOT NULL DEFAULT 'user',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_id_not_blank CHECK (id <> '')
);

CREATE TABLE bots (
  id           uuid        PRIMARY KEY,
  owner_id     text        NOT NULL REFERENCES users (id),
  name         text        NOT NULL,
  kind         text        NOT NULL CHECK (kind IN ('llm', 'survey')),
  personality  text        NOT NULL DEFAULT '',        -- system prompt of an llm bot
  settings     jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
  is_public    boolean     NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bots_owner_idx ON bots (owner_id);

CREATE TABLE conversations (
  id          uuid        PRIMARY KEY,
  bot_id      uuid        NOT NULL REFERENCES bots (id),
  owner_id    text        NOT NULL REFERENCES users (id),
  title       text        NOT NULL DEFAULT '',
  status      text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
  last_seq    bigint      NOT NULL DEFAULT 0 CHECK (last_seq >= 0),  -- seq of the newest message
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- "my conversations, most recent first", and every owner check
CREATE INDEX conversations_owner_idx ON conversations (owner_id, updated_at DESC);

CREATE TABLE messages (
  id                   uuid        PRIMARY KEY,
  conversation_id      uuid        NOT NULL REFERENCES conversations (id),
  seq                  bigint      NOT NULL CHECK (seq > 0),
  role                 text        NOT NULL CHECK (role IN ('user', 'assistant', 'operator', 'system')),
  sender_id            text,
  content              text        NOT NULL,
  meta                 jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(meta) = 'object'),
  client_message_id    text,
  reply_to_message_id  uuid        REFERENCES messages (id),
  created_at           timestamptz NOT NULL DEFAULT now(),
  -- history reads by seq use this index, in both directions
  CONSTRAINT messages_conversation_seq_key UNIQUE (conversation_id, seq),
  -- idempotency: a client id is stored at most once per conversation (NULLs are distinct)
  CONSTRAINT messages_conversation_client_id_key UNIQUE (conversation_id, client_message_id)
);
-- exactly one stored reply per message: a second reply is a unique violation
CREATE UNIQUE INDEX messages_one_reply_key ON messages (reply_to_message_id) WHERE reply_to_message_id IS NOT NULL;

CREATE TABLE reply_jobs (
  id                uuid        PRIMARY KEY,
  conversation_id   uuid        NOT NULL REFERENCES conversations (id),
  user_message_id   uuid        NOT NULL UNIQUE REFERENCES messages (id),
  status            text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
  attempts          integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  lease_owner       text,                                -- node id holding the job while running
  lease_until       timestamptz,
  reply_message_id  uuid        REFERENCES messages (id),
  last_error        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT reply_jobs_running_has_lease CHECK (status <> 'running' OR (lease_owner IS NOT NULL AND lease_until IS NOT NULL)),
  CONSTRAINT reply_jobs_done_has_reply CHECK (status <> 'done' OR reply_message_id IS NOT NULL)
);
-- the sweep looks for pending jobs by age and running jobs by lease expiry;
-- partial indexes stay small because finished jobs are never in them
CREATE INDEX reply_jobs_pending_idx ON reply_jobs (created_at) WHERE status = 'pending';
CREATE INDEX reply_jobs_running_lease_idx ON reply_jobs (lease_until) WHERE status = 'running';
