package chorus.ai;

import java.util.Map;

/**
 * A finished reply: its text, and what is stored in the message's meta (provider, model,
 * finish_reason, timings...). Meta values must be JSON-friendly (strings, numbers, booleans).
 */
public record GeneratedReply(String content, Map<String, Object> meta) {
  public GeneratedReply {
    meta = Map.copyOf(meta);
  }
}
