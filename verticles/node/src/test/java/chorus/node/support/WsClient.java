package chorus.node.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real WebSocket client over a real socket, recording every frame it receives. */
public final class WsClient {
  private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(15);

  /** Held for the socket's lifetime: Vert.x closes a client (and its connections) once it is unreachable. */
  private final WebSocketClient client;
  private final ClientWebSocket ws;
  private final LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
  private final CompletableFuture<Short> closed = new CompletableFuture<>();
  private volatile long closedAtNanos;
  private final java.util.Set<String> ignored = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private WsClient(WebSocketClient client) {
    this.client = client;
    this.ws = client.webSocket();
    // handlers are set before connecting: a server may send its error and close at once
    ws.textMessageHandler(text -> {
      JsonObject frame = new JsonObject(text);
      if (!ignored.contains(frame.getString("type"))) {
        frames.add(frame);
      }
    });
    ws.closeHandler(v -> {
      closedAtNanos = System.nanoTime();
      closed.complete(ws.closeStatusCode() == null ? -1 : ws.closeStatusCode());
    });
  }

  /** Connects like a non-browser client: no Origin header unless {@code headers} has one. */
  public static Future<WsClient> connect(Vertx vertx, int port, String uri, MultiMap headers, WebSocketClientOptions options) {
    WebSocketClient client = vertx.createWebSocketClient(options);
    WebSocketConnectOptions connect = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri)
        .setAllowOriginHeader(headers != null && headers.contains("Origin"));
    if (headers != null) {
      connect.setHeaders(headers);
    }
    WsClient wsClient = new WsClient(client);
    // Vert.x attaches these handlers once the connect completes; if the server's close frame
    // was read before that, the socket counts as closed, attaching fails with "WebSocket is
    // closed" and so does the connect: this client never sees that socket's frames. Say so,
    // rather than hand back a client that can never see anything.
    return wsClient.ws.connect(connect).map(wsClient)
        .recover(e -> Future.failedFuture(e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("closed")
            ? new AssertionError("the server closed " + uri + " before the client could read it; for a socket that is"
                + " refused at once use TestCluster.refusal, which reads frames off the wire", e)
            : e));
  }

  /**
   * Frames of these types are dropped (a test about something else): from now on, and those
   * already received, which a frame sent on connect (online_users) may be by the time the
   * test asks.
   */
  public WsClient ignore(String... types) {
    ignored.addAll(java.util.List.of(types));
    frames.removeIf(frame -> ignored.contains(frame.getString("type")));
    return this;
  }

  public WebSocket socket() {
    return ws;
  }

  /** The next frame, failing the test if none arrives in time. */
  public JsonObject next() {
    try {
      JsonObject frame = frames.poll(FRAME_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (frame == null) {
        throw new AssertionError("no frame within " + FRAME_TIMEOUT + (closed.isDone() ? " (socket closed " + closed.join() + ")" : ""));
      }
      return frame;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next frame, which must be of this type. */
  public JsonObject next(String type) {
    JsonObject frame = next();
    assertEquals(type, frame.getString("type"), () -> "unexpected frame: " + frame.encode());
    return frame;
  }

  /** The next frame if one arrives within {@code wait}, else null. */
  public JsonObject poll(Duration wait) {
    try {
      return frames.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Asserts nothing more arrives for a while. */
  public void expectSilence(Duration duration) {
    try {
      JsonObject frame = frames.poll(duration.toMillis(), TimeUnit.MILLISECONDS);
      assertNull(frame, () -> "expected no frame, got " + frame.encode());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public void send(JsonObject frame) {
    ws.writeTextMessage(frame.encode());
  }

  public void sendText(String text) {
    ws.writeTextMessage(text);
  }

  public void sendBinary(Buffer data) {
    ws.writeBinaryMessage(data);
  }

  public JsonObject userMessage(String content, String messageId) {
    JsonObject frame = new JsonObject().put("type", "user_message").put("content", content);
    if (messageId != null) {
      frame.put("message_id", messageId);
    }
    send(frame);
    return frame;
  }

  /** The close code the server sent, waiting for the close. */
  public short awaitClose() {
    try {
      return closed.get(FRAME_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("socket did not close within " + FRAME_TIMEOUT, e);
    }
  }

  /** When the close arrived ({@link System#nanoTime}), after {@link #awaitClose}. */
  public long closedAtNanos() {
    return closedAtNanos;
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  public void close() {
    if (ws.isClosed()) {
      client.close();
    } else {
      ws.close().onComplete(ar -> client.close());
    }
  }
}
