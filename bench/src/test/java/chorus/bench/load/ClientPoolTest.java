package chorus.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The load generator's sockets, connected from one thread, are spread over all of its event loops. */
class ClientPoolTest {

  @Test
  void socketsConnectedFromOneThreadRunOnEveryEventLoop() throws Exception {
    Vertx server = Vertx.vertx();
    Vertx load = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(4));
    try {
      int port = server.createHttpServer().webSocketHandler(ws -> ws.textMessageHandler(text -> ws.writeTextMessage("hello"))).listen(0, "127.0.0.1")
          .await(10, TimeUnit.SECONDS).actualPort();
      ClientPool pool = new ClientPool(load, 2);
      assertEquals(4, pool.eventLoops());
      Set<String> threads = ConcurrentHashMap.newKeySet();
      CountDownLatch greeted = new CountDownLatch(8);
      List<WebSocket> sockets = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        WebSocket ws = pool.connect("127.0.0.1", port, "/").await(10, TimeUnit.SECONDS);
        sockets.add(ws);
        ws.textMessageHandler(text -> {
          threads.add(Thread.currentThread().getName());
          greeted.countDown();
        });
        ws.writeTextMessage("hi");
      }
      assertTrue(greeted.await(10, TimeUnit.SECONDS), "every socket got the server's answer");
      assertEquals(4, threads.size(), "8 sockets on 4 loops in turn: " + threads);
      Future.all(sockets.stream().map(WebSocket::close).toList()).await(10, TimeUnit.SECONDS);
    } finally {
      load.close().await(10, TimeUnit.SECONDS);
      server.close().await(10, TimeUnit.SECONDS);
    }
  }
}
