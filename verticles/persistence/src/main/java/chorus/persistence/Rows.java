package chorus.persistence;

import chorus.shared.bus.PlainJson;
import chorus.shared.bus.ReplyJobReady;
import chorus.shared.domain.Bot;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import chorus.shared.domain.SurveyState;
import chorus.shared.domain.UserProfile;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;

/**
 * Row -> domain record mapping, in one place. A prefix selects one entity's columns in a
 * joined row (see {@link Sql#columns}); "" reads plain column names.
 */
final class Rows {
  private Rows() {}

  static StoredMessage message(Row row, String prefix) {
    return new StoredMessage(
        row.getUUID(prefix + "id"),
        row.getUUID(prefix + "conversation_id"),
        row.getLong(prefix + "seq"),
        Role.fromWire(row.getString(prefix + "role")),
        row.getString(prefix + "sender_id"),
        row.getString(prefix + "content"),
        PlainJson.map(row.getJsonObject(prefix + "meta")),
        row.getString(prefix + "client_message_id"),
        row.getUUID(prefix + "reply_to_message_id"),
        instant(row.getOffsetDateTime(prefix + "created_at")));
  }

  /** True when a LEFT JOIN found no message for this row (an empty page, or a history limit of zero). */
  static boolean hasMessage(Row row, String prefix) {
    return row.getUUID(prefix + "id") != null;
  }

  static Bot bot(Row row, String prefix) {
    return new Bot(
        row.getUUID(prefix + "id"),
        row.getString(prefix + "owner_id"),
        row.getString(prefix + "name"),
        BotKind.fromWire(row.getString(prefix + "kind")),
        row.getString(prefix + "personality"),
        PlainJson.map(row.getJsonObject(prefix + "settings")),
        row.getBoolean(prefix + "is_public"),
        instant(row.getOffsetDateTime(prefix + "created_at")));
  }

  static Conversation conversation(Row row, String prefix) {
    return new Conversation(
        row.getUUID(prefix + "id"),
        row.getUUID(prefix + "bot_id"),
        row.getString(prefix + "owner_id"),
        row.getString(prefix + "title"),
        row.getString(prefix + "status"),
        row.getLong(prefix + "last_seq"),
        instant(row.getOffsetDateTime(prefix + "created_at")),
        instant(row.getOffsetDateTime(prefix + "updated_at")));
  }

  /** A survey state, or null when the row has none (a LEFT JOIN that found no survey). */
  static SurveyState surveyState(Row row, String prefix) {
    if (row.getUUID(prefix + "conversation_id") == null) {
      return null;
    }
    return new SurveyState(
        row.getUUID(prefix + "conversation_id"),
        row.getInteger(prefix + "current_question_index"),
        PlainJson.map(row.getJsonObject(prefix + "answers")),
        row.getString(prefix + "status"),
        row.getString(prefix + "customer_id"),
        row.getString(prefix + "customer_name"),
        row.getString(prefix + "customer_email"),
        instant(row.getOffsetDateTime(prefix + "created_at")),
        instant(row.getOffsetDateTime(prefix + "updated_at")));
  }

  static UserProfile user(Row row, String prefix) {
    return new UserProfile(row.getString(prefix + "id"), row.getString(prefix + "name"), row.getString(prefix + "role"));
  }

  static ReplyJobReady replyJob(Row row) {
    return new ReplyJobReady(row.getUUID("id"), row.getUUID("conversation_id"));
  }

  /** jsonb -> parameter: a map (possibly null) as a JsonObject; nested maps and lists encode as JSON. */
  static JsonObject json(Map<String, Object> map) {
    return map == null ? new JsonObject() : new JsonObject(map);
  }

  private static Instant instant(OffsetDateTime value) {
    return value == null ? null : value.toInstant();
  }
}
