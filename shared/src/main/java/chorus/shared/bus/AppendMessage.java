package chorus.shared.bus;

import chorus.shared.domain.Role;
import java.util.Map;
import java.util.UUID;

/**
 * Store one message. Idempotent on (conversation, clientMessageId). When
 * {@code replyJobId} is set the message is that job's reply: it is stored only while
 * {@code leaseOwner} holds the job, and the job is completed in the same statement.
 *
 * @param requesterId when set, the conversation must be owned by this user (checked in the same statement)
 * @param wantsReply a user message that should be answered by the conversation's bot
 * @param personaId the bot that should answer instead of the conversation's own (public or the requester's), or null
 */
public record AppendMessage(
    UUID conversationId,
    String requesterId,
    Role role,
    String senderId,
    String content,
    Map<String, Object> meta,
    String clientMessageId,
    boolean wantsReply,
    UUID replyToMessageId,
    UUID replyJobId,
    String leaseOwner,
    UUID personaId) {

  /** Without a persona: the conversation's bot answers (if it should). */
  public AppendMessage(UUID conversationId, String requesterId, Role role, String senderId, String content, Map<String, Object> meta,
      String clientMessageId, boolean wantsReply, UUID replyToMessageId, UUID replyJobId, String leaseOwner) {
    this(conversationId, requesterId, role, senderId, content, meta, clientMessageId, wantsReply, replyToMessageId, replyJobId, leaseOwner, null);
  }

  public static AppendMessage fromUser(UUID conversationId, String userId, String content, String clientMessageId) {
    return fromUser(conversationId, userId, content, clientMessageId, null);
  }

  public static AppendMessage fromUser(UUID conversationId, String userId, String content, String clientMessageId, UUID personaId) {
    return new AppendMessage(conversationId, userId, Role.USER, userId, content, Map.of(), clientMessageId, true, null, null, null, personaId);
  }
}
