package chorus.shared.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.shared.domain.BotKind;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Nested JSON in a record's map field crosses the clustered bus as the same JSON. */
class PlainJsonTest {
  private static final JsonObject NESTED = new JsonObject()
      .put("model", "m1")
      .put("limits", new JsonObject().put("max_tokens", 256).put("stop", new JsonArray().add("END").add(new JsonObject().put("k", 1))));

  @Test
  void nestedSettingsSurviveTheWireUnchanged() {
    RecordCodec<CreateBot> codec = new RecordCodec<>(CreateBot.class);
    CreateBot sent = new CreateBot("alice", "Alice", "user", "Ada", BotKind.LLM, "p", PlainJson.map(NESTED), false);
    Buffer wire = Buffer.buffer();
    codec.encodeToWire(wire, sent);
    CreateBot received = codec.decodeFromWire(0, wire);
    assertEquals(NESTED, new JsonObject(received.settings()));
    assertEquals(sent.settings(), received.settings());
  }

  @Test
  void theResultIsPlainAndUnmodifiableAllTheWayDown() {
    Map<String, Object> plain = PlainJson.map(NESTED);
    Object limits = plain.get("limits");
    assertTrue(limits instanceof Map<?, ?>, limits.getClass().getName());
    Object stop = ((Map<?, ?>) limits).get("stop");
    assertTrue(stop instanceof List<?>, stop.getClass().getName());
    assertTrue(((List<?>) stop).get(1) instanceof Map<?, ?>);
    assertThrows(UnsupportedOperationException.class, () -> plain.put("x", 1));
    assertEquals(Map.of(), PlainJson.map(null));
  }
}
