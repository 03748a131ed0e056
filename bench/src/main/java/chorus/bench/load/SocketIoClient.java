package chorus.bench.load;

import chorus.bench.peer.SocketIoConnection;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * A socket on the Socket.IO 4.8 peer (bench/peers/socketio, /work/notes/peers-contract.md),
 * through the peers' Engine.IO v4 client: {@code join} with ack, {@code msg} with ack,
 * the room's broadcast {@code msg} (the sender included) as the delivery.
 */
public final class SocketIoClient implements RoomClient {

  private final int index;
  private final SocketIoConnection io;
  private final Deliveries deliveries;

  private SocketIoClient(int index, SocketIoConnection io, Deliveries deliveries) {
    this.index = index;
    this.io = io;
    this.deliveries = deliveries;
  }

  public static Future<SocketIoClient> connect(ClientPool pool, String host, int port, int index, Deliveries deliveries) {
    return SocketIoConnection.connect(pool.next(), host, port).map(io -> {
      SocketIoClient client = new SocketIoClient(index, io, deliveries);
      io.on("msg", args -> {
        long now = System.nanoTime();
        Payload payload = Payload.parse(args.getJsonObject(0).getString("body"));
        if (payload == null) {
          deliveries.tracker().stray();
        } else {
          deliveries.deliver(index, payload, now);
        }
      });
      return client;
    });
  }

  @Override
  public Future<Void> join(String room) {
    return io.emitWithAck("join", room).mapEmpty();
  }

  @Override
  public void send(String room, Payload payload) {
    Tracker tracker = deliveries.tracker();
    io.emitWithAck("msg", new JsonObject().put("room", room).put("id", payload.id()).put("ts", payload.intendedNanos())
        .put("body", payload.text()))
        .onSuccess(args -> tracker.acked(payload.key(), System.nanoTime()))
        .onFailure(e -> tracker.error("SOCKET_CLOSED"));
  }

  @Override
  public Future<Void> close() {
    return io.close();
  }

  @Override
  public int index() {
    return index;
  }

  @Override
  public boolean isOpen() {
    return !io.isClosed();
  }
}
