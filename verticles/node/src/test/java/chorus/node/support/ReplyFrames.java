package chorus.node.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** What a streaming socket saw of one reply: its assistant_delta frames, then the final message frame. */
public record ReplyFrames(List<JsonObject> deltas, JsonObject last) {

  /**
   * Reads frames up to the first of type {@code finalType} whose message is an AI reply,
   * keeping the assistant_delta frames on the way; frames of other types are not expected.
   */
  public static ReplyFrames read(WsClient ws, String finalType) {
    List<JsonObject> deltas = new ArrayList<>();
    while (true) {
      JsonObject frame = ws.next();
      String type = frame.getString("type");
      if ("assistant_delta".equals(type)) {
        deltas.add(frame);
      } else if (finalType.equals(type) && !"user".equals(frame.getJsonObject("message").getString("role"))) {
        return new ReplyFrames(deltas, frame);
      } else {
        throw new AssertionError("unexpected frame while a reply streams: " + frame.encode());
      }
    }
  }

  /** The deltas of the last stream (a stream taken over by another node starts again under a new id). */
  public List<JsonObject> lastStream() {
    if (deltas.isEmpty()) {
      return deltas;
    }
    String id = deltas.get(deltas.size() - 1).getString("stream_id");
    return deltas.stream().filter(d -> d.getString("stream_id").equals(id)).toList();
  }

  /** The concatenated text of the last stream, after checking its indexes only grow (a resumed piece may cover several). */
  public String streamedText() {
    StringBuilder text = new StringBuilder();
    int index = 0;
    for (JsonObject delta : lastStream()) {
      int next = delta.getInteger("index");
      assertTrue(next > index, () -> "indexes out of order: " + deltas);
      if (!delta.getBoolean("resumed", false)) {
        assertEquals(index + 1, next, () -> "a delta is missing: " + deltas);
      }
      index = next;
      text.append(delta.getString("delta"));
    }
    return text.toString();
  }

  public JsonObject message() {
    return last.getJsonObject("message");
  }
}
