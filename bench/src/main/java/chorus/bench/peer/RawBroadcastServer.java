package chorus.bench.peer;

import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The raw broadcast limit: a bare Vert.x WebSocket server doing only what routing needs —
 * rooms, a broadcast to the room (the sender included) and an ack. No auth, no persistence,
 * no JSON parsing (a few indexOf calls find the room and the id). What Chorus's fan-out is
 * measured against.
 *
 * <p>Text frames on {@code /raw}: {@code {"join":"r"}} gets {@code {"joined":"r"}};
 * {@code {"room":"r","id":"x","ts":123,"body":"..."}} is written, as received, to every
 * socket in room r, then {@code {"ack":"x"}} goes to the sender. Anything else gets
 * {@code {"error":"bad frame"}}.
 *
 * <p>One verticle instance per core shares the port (Vert.x spreads connections over them).
 * Each instance keeps the rooms of its own sockets, touched only on its own event loop; a
 * message is written to the local members directly and handed to every other instance with
 * one {@code runOnContext} (one hop per instance, not per socket, and FIFO, so one sender's
 * messages reach every member in the order sent). Writes ignore back-pressure: this is the
 * limit, not a server to run.
 *
 * <p>The frames written to a socket in one event-loop turn leave in one write system call, at
 * most {@code --frames-per-write} (default 256; 1 is Vert.x's own flush per frame), as Chorus's
 * gateway sends them ({@code limits.framesPerWrite}): the limit is the stack at its best.
 *
 * <p>{@code java -cp bench/target/chorus-bench.jar chorus.bench.peer.RawBroadcastServer
 * --port 9400 [--host 0.0.0.0] [--instances <cores>] [--frames-per-write 256]} prints {@code listening <port>}.
 */
public final class RawBroadcastServer {
  public static final String PATH = "/raw";
  public static final int DEFAULT_FRAMES_PER_WRITE = 256;
  private static final String BAD_FRAME = "{\"error\":\"bad frame\"}";

  private RawBroadcastServer() {}

  public static void main(String[] args) {
    int port = 9400;
    String host = "0.0.0.0";
    int instances = Runtime.getRuntime().availableProcessors();
    int framesPerWrite = DEFAULT_FRAMES_PER_WRITE;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[i + 1]);
        case "--host" -> host = args[i + 1];
        case "--instances" -> instances = Integer.parseInt(args[i + 1]);
        case "--frames-per-write" -> framesPerWrite = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (options: --port N, --host ADDRESS, --instances N, --frames-per-write N)");
      }
    }
    Vertx vertx = Vertx.vertx();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> vertx.close().await()));
    start(vertx, host, port, instances, framesPerWrite)
        .onSuccess(bound -> System.out.println("listening " + bound))
        .onFailure(err -> {
          System.err.println("raw broadcast server failed to start: " + err);
          System.exit(1);
        });
  }

  /**
   * Deploys {@code instances} verticles sharing one port; completes with the bound port.
   * Port 0 means any free port: Vert.x shares one random port among servers only when
   * asked with a negative port (port 0 would give each instance a port of its own).
   */
  public static Future<Integer> start(Vertx vertx, String host, int port, int instances) {
    return start(vertx, host, port, instances, DEFAULT_FRAMES_PER_WRITE);
  }

  public static Future<Integer> start(Vertx vertx, String host, int port, int instances, int framesPerWrite) {
    if (instances < 1 || framesPerWrite < 1) {
      return Future.failedFuture(new IllegalArgumentException("instances and frames per write must be at least 1"));
    }
    List<RoomsVerticle> all = new CopyOnWriteArrayList<>();
    int listenPort = port == 0 ? -1 : port;
    return vertx.deployVerticle(() -> new RoomsVerticle(all, host, listenPort, framesPerWrite), new DeploymentOptions().setInstances(instances))
        .compose(id -> {
          int bound = all.get(0).actualPort();
          for (RoomsVerticle verticle : all) {
            if (verticle.actualPort() != bound) {
              return Future.failedFuture(new IllegalStateException("instances bound different ports"));
            }
          }
          return Future.succeededFuture(bound);
        });
  }

  /** One event loop's share of the sockets and their rooms. */
  private static final class RoomsVerticle extends VerticleBase {
    private final List<RoomsVerticle> all;
    private final String host;
    private final int port;
    private final int framesPerWrite;
    /** room -> this loop's sockets in it; only ever touched on this verticle's event loop. */
    private final Map<String, List<ServerWebSocket>> rooms = new HashMap<>();
    private HttpServer server;

    RoomsVerticle(List<RoomsVerticle> all, String host, int port, int framesPerWrite) {
      this.all = all;
      this.host = host;
      this.port = port;
      this.framesPerWrite = framesPerWrite;
    }

    int actualPort() {
      return server.actualPort();
    }

    @Override
    public Future<?> start() {
      server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
          .webSocketHandshakeHandler(handshake -> {
            if (PATH.equals(handshake.path())) {
              handshake.accept();
            } else {
              handshake.reject(404);
            }
          })
          .webSocketHandler(this::onSocket)
          .requestHandler(request -> request.response().setStatusCode(404).end());
      return server.listen().onSuccess(s -> all.add(this));
    }

    private void onSocket(ServerWebSocket ws) {
      if (framesPerWrite > 1) {
        ((WebSocketInternal) ws).channelHandlerContext().pipeline().addFirst(new FlushConsolidationHandler(framesPerWrite, true));
      }
      Set<String> joined = new HashSet<>(4);
      ws.textMessageHandler(text -> onText(ws, joined, text));
      ws.closeHandler(v -> {
        for (String room : joined) {
          List<ServerWebSocket> members = rooms.get(room);
          if (members != null && members.remove(ws) && members.isEmpty()) {
            rooms.remove(room);
          }
        }
      });
    }

    private void onText(ServerWebSocket ws, Set<String> joined, String text) {
      String join = stringValue(text, "\"join\"");
      if (join != null) {
        if (joined.add(join)) {
          rooms.computeIfAbsent(join, r -> new ArrayList<>()).add(ws);
        }
        ws.writeTextMessage("{\"joined\":\"" + join + "\"}");
        return;
      }
      String room = stringValue(text, "\"room\"");
      String id = rawValue(text, "\"id\"");
      if (room == null || id == null) {
        ws.writeTextMessage(BAD_FRAME);
        return;
      }
      deliver(room, text);
      for (RoomsVerticle other : all) {
        if (other != this) {
          other.context.runOnContext(v -> other.deliver(room, text));
        }
      }
      ws.writeTextMessage("{\"ack\":" + id + "}");
    }

    private void deliver(String room, String text) {
      List<ServerWebSocket> members = rooms.get(room);
      if (members != null) {
        for (int i = 0, n = members.size(); i < n; i++) {
          members.get(i).writeTextMessage(text);
        }
      }
    }
  }

  /** The content of a string field (still JSON-escaped, so it can be echoed as is), or null. */
  static String stringValue(String json, String quotedKey) {
    int start = valueStart(json, quotedKey);
    if (start < 0 || start >= json.length() || json.charAt(start) != '"') {
      return null;
    }
    for (int i = start + 1; i < json.length(); i++) {
      char c = json.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        return json.substring(start + 1, i);
      }
    }
    return null;
  }

  /** A string or number field's JSON text as written (quotes included), or null. */
  static String rawValue(String json, String quotedKey) {
    int start = valueStart(json, quotedKey);
    if (start < 0 || start >= json.length()) {
      return null;
    }
    if (json.charAt(start) == '"') {
      String content = stringValue(json, quotedKey);
      return content == null ? null : "\"" + content + "\"";
    }
    int end = start;
    while (end < json.length() && (Character.isDigit(json.charAt(end)) || json.charAt(end) == '-')) {
      end++;
    }
    return end > start ? json.substring(start, end) : null;
  }

  /** Index of the value after {@code "key"} and its colon; a "key" not followed by a colon is text inside a value. */
  private static int valueStart(String json, String quotedKey) {
    int from = 0;
    while (true) {
      int at = json.indexOf(quotedKey, from);
      if (at < 0) {
        return -1;
      }
      int i = skipSpaces(json, at + quotedKey.length());
      if (i < json.length() && json.charAt(i) == ':') {
        return skipSpaces(json, i + 1);
      }
      from = at + 1;
    }
  }

  private static int skipSpaces(String json, int i) {
    while (i < json.length() && Character.isWhitespace(json.charAt(i))) {
      i++;
    }
    return i;
  }
}
