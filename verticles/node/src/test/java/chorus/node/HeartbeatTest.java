package chorus.node;

import chorus.node.support.RawWebSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WebSocket heartbeats with small settings (ping every 200 ms, 800 ms without a sign of life
 * closes): a real client answers the pings by itself and stays; a client that never answers
 * is closed with 1001 and its connection dropped; any frame from the client counts as life.
 */
class HeartbeatTest {
  static final long PING_MS = 200;
  static final long TIMEOUT_MS = 800;
  static final long CLOSE_GRACE_MS = 1000;
  /** Room for a loaded machine: timers, GC pauses, a slow scheduler. */
  static final long MARGIN_MS = 4000;

  static TestCluster cluster;
  static String token;
  static String conversationId;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(1, config -> {
      config.put("heartbeat", new JsonObject().put("pingIntervalMs", PING_MS).put("timeoutMs", TIMEOUT_MS));
      config.getJsonObject("limits").put("closeGraceMs", CLOSE_GRACE_MS);
    });
    token = cluster.token(TestCluster.newUserId());
    conversationId = cluster.newConversation(token, "Pulse", "You keep time.");
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static String path() {
    return "/api/v1/conversations/" + conversationId + "/ws?token=" + token;
  }

  @Test
  void aClientThatAnswersPingsStaysConnectedPastSeveralTimeouts() throws InterruptedException {
    WsClient ws = cluster.openConversation(0, conversationId, token);
    AtomicInteger pings = new AtomicInteger();
    ws.socket().frameHandler(frame -> {
      if (frame.type() == WebSocketFrameType.PING) {
        pings.incrementAndGet();
      }
    });
    Thread.sleep(4 * TIMEOUT_MS);
    assertFalse(ws.isClosed(), "a client that answers pings was closed");
    assertTrue(pings.get() >= 3, () -> "expected pings every " + PING_MS + " ms, got " + pings.get());
    ws.userMessage("still here after " + pings.get() + " pings", "heartbeat-1");
    JsonObject received = ws.next("message_received").getJsonObject("message");
    assertEquals("heartbeat-1", received.getString("message_id"));
    ws.next("assistant_message");
    assertFalse(ws.isClosed());
    ws.close();
  }

  @Test
  void aClientThatNeverAnswersIsClosedWith1001AndDropped() throws Exception {
    try (RawWebSocket raw = RawWebSocket.connect(cluster.node(0).httpPort(), path())) {
      long opened = System.nanoTime();
      int pings = 0;
      boolean acknowledged = false;
      RawWebSocket.Frame close = null;
      while (close == null) {
        RawWebSocket.Frame frame = raw.next(Duration.ofMillis(TIMEOUT_MS + MARGIN_MS));
        assertNotNull(frame, "the server neither sent a frame nor closed");
        assertFalse(frame.isEnd(), "connection ended without a close frame");
        switch (frame.opcode()) {
          case RawWebSocket.PING -> pings++;
          case RawWebSocket.TEXT -> acknowledged |= new JsonObject(frame.text()).getString("type").equals("connection_ack");
          case RawWebSocket.CLOSE -> close = frame;
          default -> { }
        }
      }
      long closedAfterMs = (close.receivedNanos() - opened) / 1_000_000;
      assertTrue(acknowledged, "the socket was accepted before it went silent");
      assertTrue(pings >= 2, "the server pinged before giving up: " + pings);
      assertEquals(1001, close.closeCode());
      assertEquals("heartbeat timeout", close.closeReason());
      assertTrue(closedAfterMs >= TIMEOUT_MS - 100, "closed too early: " + closedAfterMs + " ms");
      assertTrue(closedAfterMs <= TIMEOUT_MS + MARGIN_MS, "closed too late: " + closedAfterMs + " ms");

      // we never answer the close either: the node drops the connection after closeGraceMs
      // (well before Vert.x's own 10 s closing timeout)
      RawWebSocket.Frame end = raw.next(Duration.ofMillis(CLOSE_GRACE_MS + MARGIN_MS));
      while (end != null && !end.isEnd()) {
        end = raw.next(Duration.ofMillis(CLOSE_GRACE_MS + MARGIN_MS));
      }
      assertNotNull(end, "the node kept the connection open after the close grace");
      long droppedAfterMs = (end.receivedNanos() - close.receivedNanos()) / 1_000_000;
      assertTrue(droppedAfterMs <= CLOSE_GRACE_MS + MARGIN_MS, "dropped after " + droppedAfterMs + " ms");
    }
  }

  @Test
  void anyFrameFromTheClientCountsAsLife() throws Exception {
    try (RawWebSocket raw = RawWebSocket.connect(cluster.node(0).httpPort(), path())) {
      // no pong ever, but an application ping every 200 ms, for more than 3 timeouts
      long until = System.nanoTime() + Duration.ofMillis(3 * TIMEOUT_MS).toNanos();
      int pongs = 0;
      while (System.nanoTime() < until) {
        raw.sendText("{\"type\":\"ping\"}");
        Thread.sleep(PING_MS);
        for (RawWebSocket.Frame frame = raw.next(Duration.ZERO); frame != null; frame = raw.next(Duration.ZERO)) {
          assertFalse(frame.isEnd() || frame.opcode() == RawWebSocket.CLOSE,
              "closed although the client kept sending: " + frame.opcode() + " " + frame.closeCode());
          if (frame.opcode() == RawWebSocket.TEXT && frame.text().contains("\"pong\"")) {
            pongs++;
          }
        }
      }
      assertTrue(pongs >= 3, "application pings were answered: " + pongs);
      // then silence: closed like any other silent client
      RawWebSocket.Frame frame;
      do {
        frame = raw.next(Duration.ofMillis(TIMEOUT_MS + MARGIN_MS));
        assertNotNull(frame, "a silent client was not closed");
      } while (frame.opcode() != RawWebSocket.CLOSE && !frame.isEnd());
      assertEquals(1001, frame.closeCode());
    }
  }
}
