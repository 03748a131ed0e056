package chorus.ai.provider;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import io.vertx.core.json.DecodeException;
import java.io.IOException;

/**
 * Reads a streamed event's JSON straight into the provider's record of the few fields it
 * uses. One event arrives per token: binding to a record skips every other field instead of
 * building a map of maps for it, which had been a fifth of the AI role's allocation.
 */
final class StreamEvents {
  private static final ObjectMapper MAPPER = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .setAnnotationIntrospector(new IgnoreUnknownFields());

  private StreamEvents() {}

  /**
   * Every record read here skips the fields it does not have. Disabling
   * FAIL_ON_UNKNOWN_PROPERTIES alone is not enough for records: Jackson builds them through
   * their constructor and copies each unknown field into a buffer first, in case something
   * wants it later. A real OpenAI chunk has six such fields; skipping them took the read from
   * 2,192 to 1,128 bytes allocated and from 1.24 to 0.84 µs (Jackson 2.18, one event).
   */
  private static final class IgnoreUnknownFields extends JacksonAnnotationIntrospector {
    @Override
    public JsonIgnoreProperties.Value findPropertyIgnoralByName(MapperConfig<?> config, Annotated annotated) {
      return super.findPropertyIgnoralByName(config, annotated).withIgnoreUnknown();
    }
  }

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
