package chorus.gateway.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Frames written to a socket in one event-loop turn, as a batch of committed messages is
 * delivered, over a real routed WebSocket (the same vertx-web upgrade the profiles use) and a
 * real client: all arrive, in order, the turn's last one included with nothing written after
 * it; and the flushes that reach the socket are counted below every other handler.
 */
class SocketChannelsTest {
  private static final int BURST = 200;

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void aTurnsFramesLeaveInOneFlushAndAllArriveInOrder() throws Exception {
    Sent sent = serveBurst(SocketLimits.DEFAULT_FRAMES_PER_WRITE);
    assertEquals(BURST + 1, sent.received.size());
    for (int i = 0; i < BURST; i++) {
      assertEquals("frame " + i, sent.received.get(i));
    }
    assertEquals("alone", sent.received.get(BURST), "a lone frame with nothing after it still goes out");
    assertTrue(sent.consolidated, "the handler is in the pipeline");
    // the burst of 200 is one flush (at most 256 per write), the lone frame another
    assertEquals(2, sent.flushes, "flushes that reached the socket");
  }

  @Test
  void oneFramePerWriteLeavesVertxsWay() throws Exception {
    Sent sent = serveBurst(1);
    assertEquals(BURST + 1, sent.received.size());
    assertEquals("frame " + (BURST - 1), sent.received.get(BURST - 1));
    assertFalse(sent.consolidated, "no handler is added");
    assertEquals(BURST + 1, sent.flushes, "a flush per frame");
  }

  @Test
  void aBurstLongerThanTheBoundIsFlushedEveryBoundFrames() throws Exception {
    Sent sent = serveBurst(64);
    assertEquals(BURST + 1, sent.received.size());
    // 200 frames: flushed at 64, 128, 192, then the rest of the turn; the lone frame after
    assertEquals(5, sent.flushes, "flushes that reached the socket");
  }

  private record Sent(List<String> received, boolean consolidated, int flushes) {}

  /**
   * Serves one socket that, from a timer (outside any read, as the event bus delivers),
   * writes {@link #BURST} frames in one turn and, in a later turn, one more.
   */
  private Sent serveBurst(int framesPerWrite) throws Exception {
    SocketLimits limits = new SocketLimits(0, 0, SocketLimits.DEFAULT_WRITE_QUEUE_MAX_BYTES, 10, SocketLimits.DEFAULT_CLOSE_GRACE_MS,
        SocketLimits.DEFAULT_SOCKET_SEND_BUFFER_BYTES, framesPerWrite);
    AtomicInteger flushes = new AtomicInteger();
    Promise<Boolean> consolidated = Promise.promise();
    Router router = Router.router(vertx);
    router.get("/ws").handler(ctx -> ctx.request().toWebSocket().onSuccess((ServerWebSocket ws) -> {
      BoundedWriter writer = BoundedWriter.attach(vertx, ws, limits);
      ChannelHandlerContext channel = SocketChannels.of(ws);
      if (channel == null) {
        // an assertion here would only be logged by the event loop
        consolidated.fail("the routed socket's channel cannot be reached");
        return;
      }
      consolidated.complete(channel.pipeline().get(SocketChannels.FLUSH_CONSOLIDATION) != null);
      // nearest the socket: counts what each flush leaves as
      channel.pipeline().addFirst("flush-counter", new ChannelOutboundHandlerAdapter() {
        @Override
        public void flush(ChannelHandlerContext ctx) {
          flushes.incrementAndGet();
          ctx.flush();
        }
      });
      // the client's "go" says its handler is set; the burst waits for a timer, out of that read
      ws.textMessageHandler(go -> vertx.setTimer(1, t -> {
        for (int i = 0; i < BURST; i++) {
          writer.writeText("frame " + i);
        }
        vertx.setTimer(50, t2 -> writer.writeText("alone"));
      }));
    }));
    HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
    WebSocketClient client = vertx.createWebSocketClient();
    List<String> received = new ArrayList<>();
    CompletableFuture<List<String>> all = new CompletableFuture<>();
    WebSocket ws = client.connect(server.actualPort(), "127.0.0.1", "/ws").await();
    ws.textMessageHandler(text -> {
      received.add(text);
      if (received.size() == BURST + 1) {
        all.complete(List.copyOf(received));
      }
    });
    ws.writeTextMessage("go");
    boolean installed = consolidated.future().await(10, TimeUnit.SECONDS);
    List<String> got = all.get(10, TimeUnit.SECONDS);
    // what the flush counter saw by the time the last frame arrived
    Sent sent = new Sent(got, installed, flushes.get());
    ws.close().await();
    return sent;
  }
}
