package chorus.bench.load;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * WebSocket clients bound to different loopback source addresses (127.0.0.1, .2, ...), used
 * in turn: one address has about 28,000 ephemeral ports towards one server port, so a
 * benchmark with more sockets than that needs several.
 */
public final class ClientPool {

  /** How long a socket may take from its upgrade to being ready (its first frame), by default. */
  static final long READY_TIMEOUT_MS = 60_000;

  private final List<WebSocketClient> clients = new ArrayList<>();
  private final List<String> addresses = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  /** One context per event loop of the load generator, used in turn by the connects. */
  private final List<Context> loops = new ArrayList<>();
  private final AtomicInteger nextLoop = new AtomicInteger();

  private final long readyTimeoutMs;

  public ClientPool(Vertx vertx, int sourceAddresses) {
    this(vertx, sourceAddresses, READY_TIMEOUT_MS);
  }

  ClientPool(Vertx vertx, int sourceAddresses, long readyTimeoutMs) {
    this.readyTimeoutMs = readyTimeoutMs;
    // A socket lives on the event loop of the context that connects it. The workloads connect
    // from one thread, and Vert.x gives a thread one context of its own: every socket of a
    // run landed on one event loop, so the load generator used one core whatever it had.
    VertxInternal internal = (VertxInternal) vertx;
    int eventLoops = 0;
    for (var ignored : internal.nettyEventLoopGroup()) {
      eventLoops++;
    }
    for (int i = 0; i < eventLoops; i++) {
      loops.add(internal.createEventLoopContext());
    }
    for (int i = 0; i < Math.max(1, sourceAddresses); i++) {
      String address = "127.0.0." + (1 + i);
      WebSocketClientOptions options = new WebSocketClientOptions()
          .setMaxConnections(1_000_000)
          .setConnectTimeout(30_000)
          .setMaxFrameSize(1 << 20)
          .setMaxMessageSize(1 << 22);
      options.setLocalAddress(address);
      clients.add(vertx.createWebSocketClient(options));
      addresses.add(address);
    }
  }

  /** The next client in turn, and so the next source address. */
  public WebSocketClient next() {
    return clients.get(Math.floorMod(next.getAndIncrement(), clients.size()));
  }

  public List<String> addresses() {
    return addresses;
  }

  /**
   * Connects on the next event loop in turn (the socket's handlers run there) and runs
   * {@code setUp} on that loop as the socket opens, before it reads a frame: Vert.x resumes
   * a new socket as its connect completes and drops a frame that finds no handler, so a
   * set-up run later from another thread could miss the server's first frame. What
   * {@code setUp} returns (a socket ready once the server's first frame came) fails after
   * {@link #READY_TIMEOUT_MS} (60 s) and the socket is closed: the reconnect workload once waited for
   * ever for one of 10,000 sockets to be ready, and a run must end with a count, not hang.
   */
  public <T> Future<T> connect(String host, int port, String uri, Function<WebSocket, Future<T>> setUp) {
    Context loop = loops.get(Math.floorMod(nextLoop.getAndIncrement(), loops.size()));
    WebSocketClient client = next();
    Promise<T> connected = Promise.promise();
    loop.runOnContext(v -> client.connect(new WebSocketConnectOptions().setHost(host).setPort(port).setURI(uri))
        .compose(ws -> setUp.apply(ws).timeout(readyTimeoutMs, TimeUnit.MILLISECONDS).onFailure(e -> ws.close()))
        .onComplete(connected));
    return connected.future();
  }

  /** One context per event loop of the load generator. */
  List<Context> loops() {
    return loops;
  }

  /** How many event loops the sockets are spread over. */
  public int eventLoops() {
    return loops.size();
  }

  public Future<Void> close() {
    return Future.all(clients.stream().map(WebSocketClient::close).toList()).mapEmpty();
  }
}
