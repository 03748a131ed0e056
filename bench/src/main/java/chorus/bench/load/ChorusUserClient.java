package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A Chorus user-profile socket ({@code /ws/auth}, docs/protocol/user.md): joins
 * conversations, sends {@code send_message}; its own {@code new_message} is its
 * acknowledgement (sent only once the message is committed), every {@code new_message} a delivery.
 */
public final class ChorusUserClient extends WebSocketRoomClient {

  private final Deliveries deliveries;
  private final Map<String, Promise<Void>> joins = new ConcurrentHashMap<>();
  private volatile Consumer<JsonObject> otherFrames = f -> { };

  private ChorusUserClient(int index, WebSocket ws, Deliveries deliveries) {
    super(index, ws);
    this.deliveries = deliveries;
  }

  /** Connects and waits for the first frame ({@code online_users}). */
  public static Future<ChorusUserClient> connect(ClientPool pool, String host, int port, String token, boolean stream,
      int index, Deliveries deliveries) {
    String uri = "/ws/auth?token=" + token + (stream ? "&stream=true" : "");
    return pool.connect(host, port, uri, ws -> {
      ChorusUserClient client = new ChorusUserClient(index, ws, deliveries);
      Promise<ChorusUserClient> ready = Promise.promise();
      ws.textMessageHandler(text -> {
        JsonObject frame = new JsonObject(text);
        if (!ready.future().isComplete()) {
          if ("error".equals(frame.getString("type"))) {
            ready.tryFail("connect refused: " + frame.getString("code"));
          } else {
            ready.tryComplete(client);
          }
          return;
        }
        client.onFrame(frame);
      });
      ws.closeHandler(v -> {
        client.open = false;
        ready.tryFail("closed before the first frame: " + ws.closeStatusCode() + " " + ws.closeReason());
      });
      ws.exceptionHandler(e -> { });
      return ready.future();
    });
  }

  /** Frames other than the benchmark's own (deltas, AI replies, presence...). */
  public void otherFrames(Consumer<JsonObject> handler) {
    this.otherFrames = handler;
  }

  private void onFrame(JsonObject frame) {
    long now = System.nanoTime();
    String type = frame.getString("type", "");
    switch (type) {
      case "new_message" -> {
        JsonObject message = frame.getJsonObject("message", new JsonObject());
        Payload payload = Payload.parse(message.getString("content"));
        if (payload == null) {
          otherFrames.accept(frame);
          return;
        }
        if (payload.sender() == index) {
          deliveries.tracker().acked(payload.key(), now);
        }
        deliveries.deliver(index, payload, now);
      }
      case "conversation_joined" -> {
        Promise<Void> join = joins.remove(frame.getString("conversation_id"));
        if (join != null) {
          join.tryComplete();
        }
      }
      case "error" -> {
        String code = frame.getString("code");
        String conv = frame.getString("conversation_id");
        Promise<Void> join = conv == null ? null : joins.remove(conv);
        if (join != null && !frame.containsKey("reply_to")) {
          join.tryFail("join refused: " + code);
        }
        deliveries.tracker().error(code);
        otherFrames.accept(frame);
      }
      default -> otherFrames.accept(frame);
    }
  }

  @Override
  public Future<Void> join(String conversationId) {
    Promise<Void> joined = Promise.promise();
    joins.put(conversationId, joined);
    ws.writeTextMessage(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId).encode());
    return joined.future();
  }

  @Override
  public void send(String conversationId, Payload payload) {
    ws.writeTextMessage(new JsonObject().put("type", "send_message").put("conversation_id", conversationId)
        .put("content", payload.text()).put("message_id", payload.id()).encode());
  }

  /** A message that is not a benchmark payload (an AI prompt, say). */
  public void sendText(String conversationId, String content) {
    ws.writeTextMessage(new JsonObject().put("type", "send_message").put("conversation_id", conversationId)
        .put("content", content).encode());
  }
}
