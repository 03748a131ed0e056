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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * WebSocket clients bound to different loopback source addresses (127.0.0.1, .2, ...), used
 * in turn: one address has about 28,000 ephemeral ports towards one server port, so a
 * benchmark with more sockets than that needs several.
 */
public final class ClientPool {

  private final List<WebSocketClient> clients = new ArrayList<>();
  private final List<String> addresses = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  /** One context per event loop of the load generator, used in turn by the connects. */
  private final List<Context> loops = new ArrayList<>();
  private final AtomicInteger nextLoop = new AtomicInteger();

  public ClientPool(Vertx vertx, int sourceAddresses) {
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

  /** Connects on the next event loop in turn: the socket's handlers run there. */
  public Future<WebSocket> connect(String host, int port, String uri) {
    Context loop = loops.get(Math.floorMod(nextLoop.getAndIncrement(), loops.size()));
    WebSocketClient client = next();
    Promise<WebSocket> connected = Promise.promise();
    loop.runOnContext(v -> client.connect(new WebSocketConnectOptions().setHost(host).setPort(port).setURI(uri)).onComplete(connected));
    return connected.future();
  }

  /** How many event loops the sockets are spread over. */
  public int eventLoops() {
    return loops.size();
  }

  public Future<Void> close() {
    return Future.all(clients.stream().map(WebSocketClient::close).toList()).mapEmpty();
  }
}
