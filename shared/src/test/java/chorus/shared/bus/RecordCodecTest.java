package chorus.shared.bus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.shared.domain.Role;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.vertx.core.buffer.Buffer;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bus codec with a file in the payload: the largest file allowed by default
 * ({@code uploads.maxFileBytes}, 10 MiB) crosses the clustered bus as raw bytes, not
 * base64 JSON. The encode/decode times are logged (before: base64 in JSON, as the codec
 * did it; now: binary sections), not asserted: timing depends on the machine.
 */
class RecordCodecTest {
  private static final Logger log = LoggerFactory.getLogger(RecordCodecTest.class);
  private static final int MAX_FILE_BYTES = 10 * 1024 * 1024;

  private static byte[] file() {
    byte[] data = new byte[MAX_FILE_BYTES];
    new Random(11).nextBytes(data);
    return data;
  }

  private static AppendMessage withFile(byte[] data) {
    return AppendMessage.fileFromUser(UUID.randomUUID(), "alice", "client-1",
        new AppendMessage.Attachment("big.bin", "application/octet-stream", "0".repeat(64), data));
  }

  @Test
  void aFileCrossesTheWireAsRawBytesAndComesBackWhole() {
    byte[] data = file();
    AppendMessage sent = withFile(data);
    RecordCodec<AppendMessage> codec = new RecordCodec<>(AppendMessage.class);
    Buffer wire = Buffer.buffer();
    codec.encodeToWire(wire, sent);
    // base64 would make the payload a third larger; raw bytes add only the JSON around them
    assertTrue(wire.length() < MAX_FILE_BYTES + 4096, "wire form of a 10 MiB file is " + wire.length() + " bytes");

    Buffer framed = Buffer.buffer().appendString("prefix").appendBuffer(wire); // the bus decodes at an offset
    AppendMessage received = codec.decodeFromWire(6, framed);
    assertArrayEquals(data, received.attachment().data());
    assertEquals("big.bin", received.attachment().fileName());
    assertEquals(sent.conversationId(), received.conversationId());
    assertEquals("client-1", received.clientMessageId());
    assertEquals(Role.USER, received.role());
  }

  @Test
  void recordsWithoutBytesAndADownloadRoundTrip() {
    RecordCodec<AppendMessage> appends = new RecordCodec<>(AppendMessage.class);
    AppendMessage plain = AppendMessage.fromUser(UUID.randomUUID(), "bob", "hello", null);
    Buffer wire = Buffer.buffer();
    appends.encodeToWire(wire, plain);
    AppendMessage back = appends.decodeFromWire(0, wire);
    assertEquals(plain.content(), back.content());
    assertEquals(null, back.attachment());

    RecordCodec<AttachmentFile> files = new RecordCodec<>(AttachmentFile.class);
    AttachmentFile file = new AttachmentFile(UUID.randomUUID(), UUID.randomUUID(), "a.txt", "text/plain", 3, new byte[] {1, 2, 3});
    Buffer fileWire = Buffer.buffer();
    files.encodeToWire(fileWire, file);
    assertArrayEquals(new byte[] {1, 2, 3}, files.decodeFromWire(0, fileWire).data());
  }

  @Test
  void aMessageFromAnotherWireVersionIsRefusedWithAReason() {
    RecordCodec<AppendMessage> appends = new RecordCodec<>(AppendMessage.class);
    Buffer wire = Buffer.buffer();
    appends.encodeToWire(wire, AppendMessage.fromUser(UUID.randomUUID(), "bob", "hello", null));
    assertEquals(RecordCodec.WIRE_VERSION, wire.getByte(0));
    wire.setByte(0, (byte) 9);
    IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> appends.decodeFromWire(0, wire));
    assertTrue(refused.getMessage().contains("wire version 9"), refused.getMessage());
  }

  @Test
  void outsideTheCodecBytesAreStillBase64() throws Exception {
    String json = RecordCodec.MAPPER.writeValueAsString(Map.of("data", new byte[] {1, 2, 3}));
    assertEquals("{\"data\":\"" + Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}) + "\"}", json);
    assertArrayEquals(new byte[] {1, 2, 3}, RecordCodec.MAPPER.readValue(json, Holder.class).data());
  }

  record Holder(byte[] data) {}

  /** The cost the event loop pays for one 10 MiB file, before (base64 JSON) and now (binary sections). */
  @Test
  void measureEncodeAndDecodeOfTheLargestFile() throws Exception {
    byte[] data = file();
    AppendMessage sent = withFile(data);
    ObjectMapper base64Json = new ObjectMapper().registerModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    RecordCodec<AppendMessage> codec = new RecordCodec<>(AppendMessage.class);
    long[] before = {Long.MAX_VALUE, Long.MAX_VALUE};
    long[] now = {Long.MAX_VALUE, Long.MAX_VALUE};
    for (int round = 0; round < 5; round++) { // the best of a few rounds, after the JIT warmed up
      long t0 = System.nanoTime();
      byte[] json = base64Json.writeValueAsBytes(sent);
      long t1 = System.nanoTime();
      AppendMessage decoded = base64Json.readValue(json, AppendMessage.class);
      long t2 = System.nanoTime();
      assertEquals(MAX_FILE_BYTES, decoded.attachment().data().length);
      before[0] = Math.min(before[0], t1 - t0);
      before[1] = Math.min(before[1], t2 - t1);

      Buffer wire = Buffer.buffer();
      long t3 = System.nanoTime();
      codec.encodeToWire(wire, sent);
      long t4 = System.nanoTime();
      AppendMessage received = codec.decodeFromWire(0, wire);
      long t5 = System.nanoTime();
      assertEquals(MAX_FILE_BYTES, received.attachment().data().length);
      now[0] = Math.min(now[0], t4 - t3);
      now[1] = Math.min(now[1], t5 - t4);
    }
    log.info("10 MiB file on the bus: base64 JSON encode {} ms, decode {} ms; binary sections encode {} ms, decode {} ms",
        ms(before[0]), ms(before[1]), ms(now[0]), ms(now[1]));
  }

  private static String ms(long nanos) {
    return String.format("%.1f", nanos / 1e6);
  }
}
