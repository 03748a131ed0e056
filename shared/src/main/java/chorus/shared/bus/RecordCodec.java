package chorus.shared.bus;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Carries an immutable payload record over the clustered event bus as length-prefixed
 * JSON. Locally the record itself is handed over: records are immutable, so no copy.
 *
 * <p>{@code byte[]} fields (a file's bytes, up to {@code uploads.maxFileBytes}) do not go
 * into the JSON as base64: encoding and decoding 10 MiB of base64 on the event loop takes
 * tens of milliseconds. The JSON holds the index of a binary section instead, copied as is.
 * Wire form: {@code byte version, int jsonLength, json, int sections, (int length, bytes) per section}.
 *
 * <p>The version byte is there for rolling restarts: JSON already tolerates added fields, and
 * a node that receives a wire version it does not know fails that message with a clear reason
 * instead of misreading it. A future change of the framing bumps it, and the new build reads
 * both until the old one is gone.
 */
public final class RecordCodec<T> implements MessageCodec<T, T> {
  /** The per-call list of binary sections, handed to the byte[] (de)serializers as a Jackson attribute. */
  private static final Object SECTIONS = new Object();

  static final ObjectMapper MAPPER = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .registerModule(new SimpleModule("chorus-binary-sections")
          .addSerializer(byte[].class, new SectionSerializer())
          .addDeserializer(byte[].class, new SectionDeserializer()))
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** The framing this build writes (and the only one it reads). */
  static final byte WIRE_VERSION = 1;

  private final Class<T> type;

  public RecordCodec(Class<T> type) {
    this.type = type;
  }

  @Override
  public void encodeToWire(Buffer buffer, T value) {
    List<byte[]> sections = new ArrayList<>(0);
    try {
      byte[] json = MAPPER.writer().withAttribute(SECTIONS, sections).writeValueAsBytes(value);
      buffer.appendByte(WIRE_VERSION).appendInt(json.length).appendBytes(json).appendInt(sections.size());
      for (byte[] section : sections) {
        buffer.appendInt(section.length).appendBytes(section);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    byte version = buffer.getByte(pos);
    if (version != WIRE_VERSION) {
      throw new IllegalStateException("a " + type.getSimpleName() + " arrived in bus wire version " + version
          + ", this node reads version " + WIRE_VERSION + ": a node of another build is in the cluster");
    }
    int length = buffer.getInt(pos + 1);
    int json = pos + 5;
    int at = json + length;
    int count = buffer.getInt(at);
    at += 4;
    List<byte[]> sections = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int size = buffer.getInt(at);
      sections.add(buffer.getBytes(at + 4, at + 4 + size));
      at += 4 + size;
    }
    try {
      return MAPPER.readerFor(type).withAttribute(SECTIONS, sections).readValue(buffer.getBytes(json, json + length));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public T transform(T value) {
    return value;
  }

  @Override
  public String name() {
    return "chorus." + type.getSimpleName();
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }

  /** Writes a byte[] as the index of a new binary section (base64, Jackson's default, outside the codec). */
  private static final class SectionSerializer extends JsonSerializer<byte[]> {
    @Override
    @SuppressWarnings("unchecked")
    public void serialize(byte[] value, JsonGenerator generator, SerializerProvider provider) throws IOException {
      if (provider.getAttribute(SECTIONS) instanceof List<?> sections) {
        ((List<byte[]>) sections).add(value);
        generator.writeNumber(sections.size() - 1);
      } else {
        generator.writeBinary(value);
      }
    }
  }

  /** Reads a byte[] back from its binary section (or from base64, as written outside the codec). */
  private static final class SectionDeserializer extends JsonDeserializer<byte[]> {
    @Override
    public byte[] deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      if (parser.currentToken() == JsonToken.VALUE_NUMBER_INT && context.getAttribute(SECTIONS) instanceof List<?> sections) {
        int index = parser.getIntValue();
        if (index < 0 || index >= sections.size()) {
          return (byte[]) context.handleWeirdNumberValue(byte[].class, index, "no binary section " + index);
        }
        return (byte[]) sections.get(index);
      }
      return parser.getBinaryValue();
    }
  }
}
