package chorus.gateway.profile;

/** What every profile requires of a message a client sends: the error to answer with, or null when it is fine. */
final class MessageRules {
  private MessageRules() {}

  static final int MAX_CLIENT_MESSAGE_ID_CHARS = 200;

  /** An error frame's code and text. */
  record Problem(String code, String text) {}

  static Problem content(Object content, int maxChars) {
    if (!(content instanceof String text) || text.isBlank()) {
      return new Problem("INVALID_MESSAGE", "content is required and must be a non-empty string");
    }
    if (text.codePointCount(0, text.length()) > maxChars) {
      return new Problem("MESSAGE_TOO_LONG", "content is longer than " + maxChars + " characters");
    }
    return null;
  }

  static Problem clientMessageId(Object clientId) {
    if (clientId != null && !(clientId instanceof String id && !id.isEmpty() && id.length() <= MAX_CLIENT_MESSAGE_ID_CHARS)) {
      return new Problem("INVALID_MESSAGE", "message_id must be a non-empty string of at most " + MAX_CLIENT_MESSAGE_ID_CHARS + " characters");
    }
    return null;
  }

  /** Vert.x reports a frame or message over the size limit as an exception and leaves the socket open. */
  static boolean tooBig(Throwable failure) {
    String text = String.valueOf(failure.getMessage());
    return text.contains("max message size") || text.contains("Max frame length");
  }
}
