package chorus.gateway.profile;

import chorus.shared.domain.Bot;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.ReservedMeta;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

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
        .put("meta", publicMeta(message));
    if (message.clientMessageId() != null) {
      json.put("message_id", message.clientMessageId());
    }
    if (message.replyToMessageId() != null) {
      json.put("reply_to", message.replyToMessageId().toString());
    }
    return withContent(json, message);
  }

  /** The user profile's message (the document's new_message body), plus role and seq (for order and resume). */
  public static JsonObject userMessage(StoredMessage message) {
    boolean fromBot = message.role() == Role.ASSISTANT;
    JsonObject body = new JsonObject()
        .put("id", message.id().toString())
        .put("sender_id", message.senderId())
        .put("content", message.content())
        .put("timestamp", message.createdAt().toString())
        .put("is_ai", fromBot)
        .put("role", message.role().wire())
        .put("seq", message.seq());
    if (fromBot) {
      body.put("persona_id", message.senderId());
    }
    if (message.clientMessageId() != null) {
      body.put("message_id", message.clientMessageId());
    }
    return withContent(body, message);
  }

  /**
   * An encrypted message has no {@code content} on the wire, only its {@code encrypted}
   * envelope as it was sent; a file message has its {@code attachment} with a download url.
   */
  static JsonObject withContent(JsonObject body, StoredMessage message) {
    Map<String, Object> encrypted = ReservedMeta.encrypted(message);
    if (encrypted != null) {
      body.remove("content");
      body.put("encrypted", new JsonObject(encrypted).copy());
    }
    Map<String, Object> attachment = ReservedMeta.attachment(message);
    if (attachment != null) {
      body.put("attachment", new JsonObject(attachment).copy().put("url", attachmentUrl(String.valueOf(attachment.get("id")))));
    }
    return body;
  }

  public static String attachmentUrl(String attachmentId) {
    return "/api/v1/attachments/" + attachmentId;
  }

  /** Meta without the server's reserved keys, which {@link #withContent} puts at the top level. */
  private static JsonObject publicMeta(StoredMessage message) {
    if (message.meta() == null) {
      return new JsonObject();
    }
    Map<String, Object> meta = new LinkedHashMap<>(message.meta());
    meta.remove(ReservedMeta.ATTACHMENT);
    meta.remove(ReservedMeta.ENCRYPTED);
    return new JsonObject(meta).copy();
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
