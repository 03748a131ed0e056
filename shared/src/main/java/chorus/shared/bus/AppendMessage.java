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
 * @param attachment a file this message carries, stored in the same transaction as the message (both or neither);
 *     the persistence role writes {@code meta.attachment} from it. Null for a message without a file
 * @param usageUserId an AI reply: the user whose daily token usage {@code usageTokens} is added to, in the
 *     reply's own statement (null = nothing counted)
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
    UUID personaId,
    Attachment attachment,
    String usageUserId,
    long usageTokens) {

  /**
   * A completely uploaded file. {@code sha256} is the lower-case hex SHA-256 of {@code data},
   * computed by the gateway while the chunks arrived. On the clustered bus the bytes travel
   * as a binary section, not as base64 JSON (see {@link RecordCodec}).
   */
  public record Attachment(String fileName, String contentType, String sha256, byte[] data) {}

  /** Without usage to count. */
  public AppendMessage(UUID conversationId, String requesterId, Role role, String senderId, String content, Map<String, Object> meta,
      String clientMessageId, boolean wantsReply, UUID replyToMessageId, UUID replyJobId, String leaseOwner, UUID personaId,
      Attachment attachment) {
    this(conversationId, requesterId, role, senderId, content, meta, clientMessageId, wantsReply, replyToMessageId, replyJobId, leaseOwner,
        personaId, attachment, null, 0);
  }

  /** Without a file. */
  public AppendMessage(UUID conversationId, String requesterId, Role role, String senderId, String content, Map<String, Object> meta,
      String clientMessageId, boolean wantsReply, UUID replyToMessageId, UUID replyJobId, String leaseOwner, UUID personaId) {
    this(conversationId, requesterId, role, senderId, content, meta, clientMessageId, wantsReply, replyToMessageId, replyJobId, leaseOwner,
        personaId, null);
  }

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

  /** A user's file, as a message with empty content that no bot answers. */
  public static AppendMessage fileFromUser(UUID conversationId, String userId, String clientMessageId, Attachment attachment) {
    return new AppendMessage(conversationId, userId, Role.USER, userId, "", Map.of(), clientMessageId, false, null, null, null, null,
        attachment);
  }
}
