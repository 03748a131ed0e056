package chorus.gateway.profile;

import chorus.gateway.ContentConfig;
import chorus.shared.bus.PlainJson;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * End-to-end encrypted message envelopes. The server checks the shape and the size only:
 * ciphertext, nonce and wrapped keys are opaque strings it never decodes, and the envelope is
 * stored and delivered as sent (fields it does not know included).
 */
final class Envelopes {
  private Envelopes() {}

  /** A checked envelope as plain maps and lists (what the event-bus codec and meta can carry), or the problem. */
  record Checked(Map<String, Object> envelope, MessageRules.Problem problem) {}

  static Checked check(Object value, ContentConfig limits) {
    if (!(value instanceof JsonObject envelope)) {
      return invalid("encrypted must be an object");
    }
    if (envelope.encode().getBytes(StandardCharsets.UTF_8).length > limits.maxEnvelopeBytes()) {
      return new Checked(null, new MessageRules.Problem("ENVELOPE_TOO_LARGE",
          "the encrypted envelope is larger than " + limits.maxEnvelopeBytes() + " bytes"));
    }
    String problem = firstProblem(envelope, limits);
    return problem != null ? invalid(problem) : new Checked(PlainJson.map(envelope), null);
  }

  private static String firstProblem(JsonObject envelope, ContentConfig limits) {
    for (String field : List.of("algorithm", "ciphertext", "nonce", "sender_key_id")) {
      if (!(envelope.getValue(field) instanceof String text) || text.isEmpty()) {
        return "encrypted." + field + " is required and must be a non-empty string";
      }
    }
    if (envelope.getString("algorithm").length() > 64 || envelope.getString("sender_key_id").length() > 128) {
      return "encrypted.algorithm is at most 64 and sender_key_id at most 128 characters";
    }
    if (!(envelope.getValue("recipients") instanceof JsonArray recipients) || recipients.isEmpty()
        || recipients.size() > limits.maxRecipients()) {
      return "encrypted.recipients must be an array of 1 to " + limits.maxRecipients() + " recipients";
    }
    for (Object recipient : recipients) {
      if (!(recipient instanceof JsonObject r)) {
        return "each recipient is an object {user_id, key_id, wrapped_key}";
      }
      for (String field : List.of("user_id", "key_id", "wrapped_key")) {
        if (!(r.getValue(field) instanceof String text) || text.isEmpty()) {
          return "each recipient needs a non-empty string " + field;
        }
      }
    }
    return null;
  }

  private static Checked invalid(String text) {
    return new Checked(null, new MessageRules.Problem("INVALID_ENVELOPE", text));
  }
}
