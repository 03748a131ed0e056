package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A socket on the raw Vert.x broadcast server (the limit; /work/notes/peers-contract.md):
 * {@code {"join":room}} -> {@code {"joined":room}}; a message is written to every socket of
 * the room, then {@code {"ack":id}} to its sender.
 */
public final class RawClient extends WebSocketRoomClient {

  private final Deliveries deliveries;
  private final Map<String, Promise<Void>> joins = new ConcurrentHashMap<>();

  private RawClient(int index, WebSocket ws, Deliveries deliveries) {
    super(index, ws);
    this.deliveries = deliveries;
  }

  public static Future<RawClient> connect(ClientPool pool, String host, int port, int index, Deliveries deliveries) {
    return pool.connect(host, port, "/raw", ws -> {
      RawClient client = new RawClient(index, ws, deliveries);
      ws.textMessageHandler(client::onText);
      ws.closeHandler(v -> client.open = false);
      ws.exceptionHandler(e -> { });
      return Future.succeededFuture(client);
    });
  }

  private void onText(String text) {
    long now = System.nanoTime();
    JsonObject frame = new JsonObject(text);
    if (frame.containsKey("ack")) {
      long key = Payload.keyOfId(frame.getString("ack"));
      if (key >= 0) {
        deliveries.tracker().acked(key, now);
      }
    } else if (frame.containsKey("joined")) {
      Promise<Void> join = joins.remove(frame.getString("joined"));
      if (join != null) {
        join.tryComplete();
      }
    } else {
      Payload payload = Payload.parse(frame.getString("body"));
      if (payload == null) {
        deliveries.tracker().stray();
      } else {
        deliveries.deliver(index, payload, now);
      }
    }
  }

  @Override
  public Future<Void> join(String room) {
    Promise<Void> joined = Promise.promise();
    joins.put(room, joined);
    ws.writeTextMessage(new JsonObject().put("join", room).encode());
    return joined.future();
  }

  @Override
  public void send(String room, Payload payload) {
    ws.writeTextMessage(new JsonObject().put("room", room).put("id", payload.id()).put("ts", payload.intendedNanos())
        .put("body", payload.text()).encode());
  }
}
