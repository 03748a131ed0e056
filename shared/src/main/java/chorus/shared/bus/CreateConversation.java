package chorus.shared.bus;

import java.util.UUID;

/**
 * Start a conversation with a bot the caller owns or that is public. Fails NOT_FOUND otherwise.
 * With a survey bot that has questions, the survey is started for the customer (empty
 * strings when not given) and its first question is stored as the first message.
 */
public record CreateConversation(String ownerId, String ownerName, String ownerRole, UUID botId, String title,
    String customerId, String customerName, String customerEmail) {

  public CreateConversation(String ownerId, String ownerName, String ownerRole, UUID botId, String title) {
    this(ownerId, ownerName, ownerRole, botId, title, null, null, null);
  }
}
