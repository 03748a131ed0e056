-- Survey conversations (seed 004): where a customer stands in a survey bot's script.
-- One row per survey conversation, created with it. Progress is advanced by a conditional
-- update on current_question_index (see Sql.SURVEY_ANSWER), so two concurrent answers can
-- never both count for the same question.

CREATE TABLE survey_states (
  conversation_id         uuid        PRIMARY KEY REFERENCES conversations (id),
  current_question_index  integer     NOT NULL DEFAULT 0 CHECK (current_question_index >= 0),
  answers                 jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(answers) = 'object'),
  status                  text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed')),
  customer_id             text        NOT NULL DEFAULT '',
  customer_name           text        NOT NULL DEFAULT '',
  customer_email          text        NOT NULL DEFAULT '',
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  completed_at            timestamptz,
  CONSTRAINT survey_states_completed_has_time CHECK (status <> 'completed' OR completed_at IS NOT NULL)
);
