-- Seed 002's future items: file uploads, end-to-end encryption keys and message search.
--
-- The meta of a message is written by the server only (clients never set it), so the
-- server keeps two reserved keys there: "attachment" (a stored file, see attachments) and
-- "encrypted" (an end-to-end envelope the server cannot read; content is then '').

-- Uploaded files. Stored whole once the last chunk arrived; a message refers to a row
-- through meta.attachment.id. bytea is enough at the configured sizes (10 MiB by default).
CREATE TABLE attachments (
  id               uuid        PRIMARY KEY,
  conversation_id  uuid        NOT NULL REFERENCES conversations (id),
  uploader_id      text        NOT NULL REFERENCES users (id),
  file_name        text        NOT NULL CHECK (char_length(file_name) BETWEEN 1 AND 255),
  content_type     text        NOT NULL CHECK (char_length(content_type) BETWEEN 3 AND 255),
  size             bigint      NOT NULL CHECK (size >= 0),
  sha256           text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  data             bytea       NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT attachments_size_matches CHECK (size = octet_length(data))
);
CREATE INDEX attachments_conversation_idx ON attachments (conversation_id);

-- The public-key directory: keys users publish so that others can encrypt for them.
-- The server only stores and hands out public keys; private keys never reach it.
CREATE TABLE user_keys (
  user_id     text        NOT NULL REFERENCES users (id),
  key_id      text        NOT NULL CHECK (char_length(key_id) BETWEEN 1 AND 128),
  algorithm   text        NOT NULL CHECK (char_length(algorithm) BETWEEN 1 AND 64),
  public_key  text        NOT NULL CHECK (char_length(public_key) BETWEEN 1 AND 4096),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key_id)
);

-- Full-text search over plaintext messages: the content and an attachment's file name.
-- Encrypted messages are never indexed (their vector is NULL). 'simple' does no
-- stemming and drops no stop words: chats mix languages, and a word is found as typed.
ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  CASE WHEN meta -> 'encrypted' IS NOT NULL THEN NULL
       ELSE to_tsvector('simple'::regconfig, content || ' ' || COALESCE(meta #>> '{attachment,file_name}', ''))
  END) STORED;
CREATE INDEX messages_search_idx ON messages USING GIN (search_vector);
-- search results are newest first across a user's conversations: (created_at, id) is the cursor
CREATE INDEX messages_created_idx ON messages (conversation_id, created_at DESC, id DESC);
