package chorus.gateway.profile;

import chorus.shared.domain.Bot;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** JSON shapes shared by the wire profiles and the REST API (snake_case, ISO-8601 UTC times). */
public final class Frames {
  private Frames() {}

  /** The document's MessageSchema, plus the conversation's {@code seq} for resume. */
  public static JsonObject message(StoredMessage message) {
    JsonObject json = new JsonObject()
        .put("id", message.id().toString())
        .put("conversation_id", message.conversationId().toString())
        .put("seq", message.seq())
        .put("role", message.role().wire())
        .put("content", message.content())
        .put("created_at", message.createdAt().toString())
        .put("meta", message.meta() == null ? new JsonObject() : new JsonObject(message.meta()));
    if (message.clientMessageId() != null) {
      json.put("message_id", message.clientMessageId());
    }
    if (message.replyToMessageId() != null) {
      json.put("reply_to", message.replyToMessageId().toString());
    }
    return json;
  }

  public static JsonObject conversation(Conversation conversation) {
    return new JsonObject()
        .put("id", conversation.id().toString())
        .put("bot_id", conversation.botId().toString())
        .put("owner_id", conversation.ownerId())
        .put("title", conversation.title())
        .put("status", conversation.status())
        .put("last_seq", conversation.lastSeq())
        .put("created_at", conversation.createdAt().toString())
        .put("updated_at", conversation.updatedAt().toString());
  }

  /** A bot as its owner sees it (REST). Sockets get {@link #botSummary}: the personality is the owner's prompt. */
  public static JsonObject bot(Bot bot) {
    return botSummary(bot)
        .put("owner_id", bot.ownerId())
        .put("personality", bot.personality())
        .put("settings", new JsonObject(bot.settings()))
        .put("public", bot.isPublic())
        .put("created_at", bot.createdAt().toString());
  }

  public static JsonObject botSummary(Bot bot) {
    return new JsonObject().put("id", bot.id().toString()).put("name", bot.name()).put("kind", bot.kind().wire());
  }

  public static JsonObject error(String code, String text) {
    return new JsonObject().put("type", "error").put("code", code).put("message", text);
  }

  public static String now() {
    return Instant.now().toString();
  }
}
