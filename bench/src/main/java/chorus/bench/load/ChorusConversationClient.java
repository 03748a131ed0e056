package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;

/**
 * A Chorus conversation-profile socket ({@code /api/v1/conversations/{id}/ws},
 * docs/protocol/conversation.md): one conversation per socket; {@code user_message} is
 * answered {@code message_received} once committed, which is both the acknowledgement and
 * this socket's copy. Keeps the last {@code seq} seen, for resuming.
 */
public final class ChorusConversationClient extends WebSocketRoomClient {

  private final String conversationId;
  private final Deliveries deliveries;
  private volatile long lastSeq;
  private volatile Consumer<JsonObject> otherFrames = f -> { };
  private volatile java.util.function.LongConsumer onAck = k -> { };
  /** When the server answered the upgrade (101); connection_ack comes after the server's connect steps. */
  private final long upgradedAtNanos = System.nanoTime();

  private ChorusConversationClient(int index, String conversationId, WebSocket ws, Deliveries deliveries, long lastSeq) {
    super(index, ws);
    this.conversationId = conversationId;
    this.deliveries = deliveries;
    this.lastSeq = lastSeq;
  }

  /** Connects (resuming after {@code lastSeq} when it is >= 0) and waits for {@code connection_ack}. */
  public static Future<ChorusConversationClient> connect(ClientPool pool, String host, int port, String token,
      String conversationId, long resumeAfter, String extraQuery, int index, Deliveries deliveries) {
    String uri = "/api/v1/conversations/" + conversationId + "/ws?token=" + token
        + (resumeAfter >= 0 ? "&last_seq=" + resumeAfter : "") + (extraQuery == null ? "" : "&" + extraQuery);
    return pool.connect(host, port, uri, ws -> {
      ChorusConversationClient client = new ChorusConversationClient(index, conversationId, ws, deliveries, Math.max(0, resumeAfter));
      Promise<ChorusConversationClient> ready = Promise.promise();
      ws.textMessageHandler(text -> {
        JsonObject frame = new JsonObject(text);
        if (!ready.future().isComplete()) {
          if ("connection_ack".equals(frame.getString("type"))) {
            if (resumeAfter < 0) {
              client.lastSeq = frame.getLong("last_seq", 0L);
            }
            ready.tryComplete(client);
          } else {
            ready.tryFail("connect refused: " + frame.getString("code"));
          }
          return;
        }
        client.onFrame(frame);
      });
      ws.closeHandler(v -> {
        client.open = false;
        ready.tryFail("closed before connection_ack: " + ws.closeStatusCode() + " " + ws.closeReason());
      });
      ws.exceptionHandler(e -> { });
      return ready.future();
    });
  }

  public long upgradedAtNanos() {
    return upgradedAtNanos;
  }

  public void otherFrames(Consumer<JsonObject> handler) {
    this.otherFrames = handler;
  }

  /** Told the key of each of this socket's own messages when it is acknowledged. */
  public void onAck(java.util.function.LongConsumer handler) {
    this.onAck = handler;
  }

  public void closeHandler(Runnable handler) {
    ws.closeHandler(v -> {
      open = false;
      handler.run();
    });
  }

  private void onFrame(JsonObject frame) {
    long now = System.nanoTime();
    String type = frame.getString("type", "");
    switch (type) {
      case "message_received", "assistant_message" -> {
        JsonObject message = frame.getJsonObject("message", new JsonObject());
        long seq = message.getLong("seq", 0L);
        if (seq > lastSeq) {
          lastSeq = seq;
        }
        Payload payload = Payload.parse(message.getString("content"));
        if (payload == null) {
          otherFrames.accept(frame);
          return;
        }
        if (payload.sender() == index) {
          deliveries.tracker().acked(payload.key(), now);
          onAck.accept(payload.key());
        }
        deliveries.deliver(index, payload, now);
      }
      case "error" -> {
        deliveries.tracker().error(frame.getString("code"));
        otherFrames.accept(frame);
      }
      default -> otherFrames.accept(frame);
    }
  }

  public String conversationId() {
    return conversationId;
  }

  public long lastSeq() {
    return lastSeq;
  }

  @Override
  public Future<Void> join(String room) {
    return Future.succeededFuture();
  }

  @Override
  public void send(String room, Payload payload) {
    ws.writeTextMessage(new JsonObject().put("type", "user_message").put("content", payload.text())
        .put("message_id", payload.id()).encode());
  }

  public void sendText(String content) {
    ws.writeTextMessage(new JsonObject().put("type", "user_message").put("content", content).encode());
  }

  /** A message that is not a benchmark payload, with a client id (so that it can be sent again safely). */
  public void sendText(String content, String messageId) {
    ws.writeTextMessage(new JsonObject().put("type", "user_message").put("content", content).put("message_id", messageId).encode());
  }
}
