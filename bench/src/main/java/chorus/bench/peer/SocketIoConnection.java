package chorus.bench.peer;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal Socket.IO v5 client (Engine.IO v4, WebSocket transport only, default namespace
 * "/") on Vert.x's own WebSocket client, so the load generator drives the Socket.IO peer
 * with the same client stack, threads and histograms it drives Chorus with.
 *
 * <p>Packets: Engine.IO {@code 0} open, {@code 1} close, {@code 2} ping (answered with
 * {@code 3}), {@code 4} message; inside a message, Socket.IO {@code 0} connect,
 * {@code 1} disconnect, {@code 2} event ({@code 42[...]} or {@code 42<id>[...]}),
 * {@code 3} ack ({@code 43<id>[...]}), {@code 4} connect error. Binary packets are not
 * supported (the peer sends none).
 *
 * <p>Handlers run on the WebSocket's context. {@link #emit} and {@link #emitWithAck} may be
 * called from any thread.
 */
public final class SocketIoConnection {
  /** The Socket.IO server's default path, WebSocket transport straight away (no polling). */
  public static final String PATH = "/socket.io/?EIO=4&transport=websocket";

  private final WebSocket ws;
  private final Promise<SocketIoConnection> connected = Promise.promise();
  private final Map<String, Handler<JsonArray>> handlers = new ConcurrentHashMap<>();
  private final Map<Long, Promise<JsonArray>> pendingAcks = new ConcurrentHashMap<>();
  private final AtomicLong nextAckId = new AtomicLong();
  private final AtomicLong pingsAnswered = new AtomicLong();
  private volatile Handler<Void> closeHandler;
  private volatile boolean closed;
  private volatile String sid;

  private SocketIoConnection(WebSocket ws) {
    this.ws = ws;
  }

  /**
   * Opens the WebSocket, waits for the Engine.IO open packet, connects to the default
   * namespace and completes once the server has confirmed it ({@code 40{"sid":...}}).
   */
  public static Future<SocketIoConnection> connect(WebSocketClient client, String host, int port) {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(host).setPort(port).setURI(PATH);
    return client.connect(options).compose(ws -> {
      SocketIoConnection connection = new SocketIoConnection(ws);
      ws.textMessageHandler(connection::onText);
      ws.exceptionHandler(connection::onException);
      ws.closeHandler(v -> connection.onClosed());
      return connection.connected.future();
    });
  }

  /**
   * Calls {@code handler} with the event's arguments (the event name left out) each time
   * the server emits {@code event}: for the peer's {@code msg}, {@code args.getJsonObject(0)}.
   */
  public void on(String event, Handler<JsonArray> handler) {
    handlers.put(event, handler);
  }

  /** Emits {@code event} with {@code args} (JSON values: String, Number, JsonObject, ...), no ack asked. */
  public void emit(String event, Object... args) {
    ws.writeTextMessage("42" + eventArray(event, args).encode());
  }

  /**
   * Emits {@code event} asking for an acknowledgement; completes with the ack's arguments
   * (for the peer's {@code join}: {@code ["ok"]}; for {@code msg}: {@code [{"id":...}]}),
   * or fails if the connection closes first.
   */
  public Future<JsonArray> emitWithAck(String event, Object... args) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("socket.io connection is closed"));
    }
    long id = nextAckId.getAndIncrement();
    Promise<JsonArray> ack = Promise.promise();
    pendingAcks.put(id, ack);
    ws.writeTextMessage("42" + id + eventArray(event, args).encode())
        .onFailure(err -> failAck(id, err));
    if (closed) {
      // closed between the check and the put: onClosed may already have swept the map
      failAck(id, new IllegalStateException("socket.io connection is closed"));
    }
    return ack.future();
  }

  /** Leaves the namespace ({@code 41}) and closes the WebSocket. */
  public Future<Void> close() {
    if (!closed) {
      ws.writeTextMessage("41");
    }
    return ws.close();
  }

  /** Called once when the connection closes, whichever side closed it. */
  public void closeHandler(Handler<Void> handler) {
    this.closeHandler = handler;
  }

  /** The Socket.IO session id the server gave this connection in the default namespace. */
  public String sid() {
    return sid;
  }

  /** How many Engine.IO pings this connection has answered (the server's liveness check). */
  public long pingsAnswered() {
    return pingsAnswered.get();
  }

  public boolean isClosed() {
    return closed;
  }

  private static JsonArray eventArray(String event, Object[] args) {
    JsonArray array = new JsonArray().add(event);
    for (Object arg : args) {
      array.add(arg);
    }
    return array;
  }

  private void onText(String text) {
    if (text.isEmpty()) {
      return;
    }
    switch (text.charAt(0)) {
      case '0' -> ws.writeTextMessage("40"); // Engine.IO open: connect the default namespace
      case '1' -> ws.close();
      case '2' -> { // ping -> pong (same payload); the server closes us if we miss one
        ws.writeTextMessage("3" + text.substring(1));
        pingsAnswered.incrementAndGet();
      }
      case '4' -> onSocketIoPacket(text);
      default -> { } // 3 (pong), 5 (upgrade), 6 (noop): nothing to do over WebSocket
    }
  }

  private void onSocketIoPacket(String text) {
    if (text.length() < 2) {
      return;
    }
    char type = text.charAt(1);
    int i = 2;
    // A namespace other than "/" would come as "/name," here; this client only joins "/".
    if (i < text.length() && text.charAt(i) == '/') {
      int comma = text.indexOf(',', i);
      i = comma < 0 ? text.length() : comma + 1;
    }
    int idStart = i;
    while (i < text.length() && Character.isDigit(text.charAt(i))) {
      i++;
    }
    long id = i > idStart ? Long.parseLong(text, idStart, i, 10) : -1;
    String payload = text.substring(i);
    try {
      switch (type) {
        case '0' -> {
          sid = payload.isEmpty() ? null : new JsonObject(payload).getString("sid");
          connected.tryComplete(this);
        }
        case '1' -> ws.close(); // the server removed us from the namespace
        case '2' -> onEvent(id, new JsonArray(payload));
        case '3' -> {
          Promise<JsonArray> ack = id < 0 ? null : pendingAcks.remove(id);
          if (ack != null) {
            ack.tryComplete(new JsonArray(payload));
          }
        }
        case '4' -> {
          connected.tryFail(new IllegalStateException("socket.io connect refused: " + payload));
          ws.close();
        }
        default -> { } // 5/6 binary event/ack: the peer sends none
      }
    } catch (DecodeException | ClassCastException e) {
      onException(new IllegalStateException("bad socket.io packet: " + text, e));
    }
  }

  private void onEvent(long ackId, JsonArray eventAndArgs) {
    if (eventAndArgs.isEmpty()) {
      return;
    }
    String event = eventAndArgs.getString(0);
    eventAndArgs.remove(0);
    Handler<JsonArray> handler = handlers.get(event);
    if (handler != null) {
      handler.handle(eventAndArgs);
    }
    if (ackId >= 0) {
      // The server asked for an ack; answer with no arguments so it does not wait forever.
      ws.writeTextMessage("43" + ackId + "[]");
    }
  }

  private void onException(Throwable err) {
    connected.tryFail(err);
  }

  private void onClosed() {
    closed = true;
    IllegalStateException err = new IllegalStateException("socket.io connection closed");
    connected.tryFail(err);
    for (Long id : pendingAcks.keySet()) {
      failAck(id, err);
    }
    Handler<Void> handler = closeHandler;
    if (handler != null) {
      handler.handle(null);
    }
  }

  private void failAck(long id, Throwable err) {
    Promise<JsonArray> ack = pendingAcks.remove(id);
    if (ack != null) {
      ack.tryFail(err);
    }
  }
}
