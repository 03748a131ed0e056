package chorus.ai.provider;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.vertx.core.json.DecodeException;
import java.io.IOException;

/**
 * Reads a streamed event's JSON straight into the provider's record of the few fields it
 * uses. One event arrives per token: binding to a record skips every other field instead of
 * building a map of maps for it, which had been a fifth of the AI role's allocation.
 */
final class StreamEvents {
  private static final ObjectMapper MAPPER = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private StreamEvents() {}

  static ObjectReader readerFor(Class<?> type) {
    return MAPPER.readerFor(type);
  }

  /** The event as a {@code T}; a {@link DecodeException} (a malformed chunk) when it is not a JSON object of that shape. */
  static <T> T read(ObjectReader reader, String json) {
    T value;
    try {
      value = reader.readValue(json);
    } catch (IOException e) {
      // not the parser's message: it quotes the chunk, which is the user's reply
      throw new DecodeException("malformed stream event");
    }
    if (value == null) {
      throw new DecodeException("malformed stream event");
    }
    return value;
  }
}
