package chorus.shared.bus;

/**
 * The conversations a user is a member of, most recently active first, one page.
 *
 * @param archived true: only those the user archived; false: only the others; null: all
 */
public record ListConversations(String userId, Boolean archived, int limit, int offset) {}
