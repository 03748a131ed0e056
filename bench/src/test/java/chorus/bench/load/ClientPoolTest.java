package chorus.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The load generator's sockets: spread over all of its event loops, and set up before their first frame. */
class ClientPoolTest {
  private Vertx server;
  private Vertx load;

  @BeforeEach
  void start() {
    server = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    if (load != null) {
      load.close().await(10, TimeUnit.SECONDS);
    }
    server.close().await(10, TimeUnit.SECONDS);
  }

  /** A WebSocket server on the server Vert.x; its port. */
  private int serve(Handler<ServerWebSocket> handler) throws Exception {
    return server.createHttpServer().webSocketHandler(handler).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
  }

  /** The load generator's Vert.x, with {@code loops} event loops. */
  private Vertx load(int loops) {
    load = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    return load;
  }

  @Test
  void socketsConnectedFromOneThreadRunOnEveryEventLoop() throws Exception {
    int port = serve(ws -> ws.textMessageHandler(text -> ws.writeTextMessage("hello")));
    ClientPool pool = new ClientPool(load(4), 2);
    assertEquals(4, pool.eventLoops());
    Set<String> threads = ConcurrentHashMap.newKeySet();
    CountDownLatch greeted = new CountDownLatch(8);
    List<WebSocket> sockets = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      WebSocket ws = pool.connect("127.0.0.1", port, "/", Future::succeededFuture).await(10, TimeUnit.SECONDS);
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
  }

  /** A server that speaks first (as Chorus's connection_ack does): every socket's set-up sees the first frame. */
  @Test
  void theSetUpRunsBeforeTheFirstFrameOfEverySocket() throws Exception {
    int port = serve(ws -> ws.writeTextMessage("welcome"));
    ClientPool pool = new ClientPool(load(2), 2);
    int sockets = 300;
    CountDownLatch welcomed = new CountDownLatch(sockets);
    List<Future<WebSocket>> opening = new ArrayList<>();
    for (int i = 0; i < sockets; i++) {
      opening.add(pool.connect("127.0.0.1", port, "/", ws -> {
        ws.textMessageHandler(text -> welcomed.countDown());
        return Future.succeededFuture(ws);
      }));
    }
    List<WebSocket> open = Future.all(opening).await(20, TimeUnit.SECONDS).list();
    assertTrue(welcomed.await(10, TimeUnit.SECONDS), "sockets whose first frame was lost: " + welcomed.getCount());
    Future.all(open.stream().map(WebSocket::close).toList()).await(10, TimeUnit.SECONDS);
  }

  /** A socket whose server never says anything is not ready for ever: its set-up fails after the timeout and it is closed. */
  @Test
  void aSocketNeverReadyFailsAndIsClosed() throws Exception {
    Promise<Void> serverSawClose = Promise.promise();
    int port = serve(ws -> ws.closeHandler(v -> serverSawClose.tryComplete()));
    ClientPool pool = new ClientPool(load(1), 1, 300);
    Future<WebSocket> ready = pool.connect("127.0.0.1", port, "/", ws -> Promise.<WebSocket>promise().future());
    Throwable failure = assertThrows(Exception.class, () -> ready.await(10, TimeUnit.SECONDS));
    assertTrue(String.valueOf(failure.getMessage()).toLowerCase().contains("timeout"), String.valueOf(failure));
    serverSawClose.future().await(10, TimeUnit.SECONDS);
  }
}
