-- The pgbench baseline's table, in the benchmark database (never Chorus's own tables).
-- Shaped like Chorus's messages table (V1, V5, V8): the same columns, unique keys, created
-- index and full-text search index, so an insert here costs what a Chorus message insert
-- costs in PostgreSQL, minus the foreign key to conversations. Re-running it starts empty.
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_messages;
DROP SEQUENCE IF EXISTS bench_messages_seq;
CREATE TABLE bench_messages (
  id                 uuid        PRIMARY KEY,
  conversation_id    uuid        NOT NULL,
  seq                bigint      NOT NULL CHECK (seq > 0),
  role               text        NOT NULL CHECK (role IN ('user', 'assistant', 'operator', 'system')),
  sender_id          text,
  content            text        NOT NULL,
  meta               jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(meta) = 'object'),
  client_message_id  text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  search_vector      tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, content)) STORED,
  CONSTRAINT bench_messages_conversation_seq_key UNIQUE (conversation_id, seq),
  CONSTRAINT bench_messages_conversation_client_id_key UNIQUE (conversation_id, client_message_id)
);
CREATE INDEX bench_messages_created_idx ON bench_messages (conversation_id, created_at DESC, id DESC);
CREATE INDEX bench_messages_search_idx ON bench_messages USING GIN (search_vector);
-- seq per (conversation, row): a sequence keeps every insert unique across pgbench clients
CREATE SEQUENCE bench_messages_seq;
