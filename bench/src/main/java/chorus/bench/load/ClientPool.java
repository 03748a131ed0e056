package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
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

  public ClientPool(Vertx vertx, int sourceAddresses) {
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

  public Future<WebSocket> connect(String host, int port, String uri) {
    return next().connect(new WebSocketConnectOptions().setHost(host).setPort(port).setURI(uri));
  }

  public Future<Void> close() {
    return Future.all(clients.stream().map(WebSocketClient::close).toList()).mapEmpty();
  }
}
