package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A client that stops reading never makes the node buffer without bound: its write queue
 * ({@code limits.writeQueueMaxBytes}, 32 KiB here) fills, the node closes it with 1013 and
 * writes nothing more to it, while fast clients on the same conversation get every message
 * in order. What the node did is read from its log (the slow client cannot tell).
 */
class SlowClientTest {
  static final int WRITE_QUEUE_MAX_BYTES = 32 * 1024;
  static final long CLOSE_GRACE_MS = 3000;
  static final int SOCKET_SEND_BUFFER_BYTES = 16 * 1024;
  /** Upper bound on the flood; the slow socket overflows after a few dozen (about 150 KB of buffers). */
  static final int MAX_MESSAGES = 1000;
  static final int IN_FLIGHT = 12;
  static final String CONTENT = "x".repeat(4990);

  static TestCluster cluster;
  /** A user of its own per test: no per-user socket limit or rate limit carries over from the other test. */
  String token;
  ListAppender<ILoggingEvent> nodeLog;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(1, config -> config.getJsonObject("limits")
        .put("writeQueueMaxBytes", WRITE_QUEUE_MAX_BYTES)
        .put("closeGraceMs", CLOSE_GRACE_MS)
        // a small kernel send buffer: the node's own queue, not the kernel's, fills after a few messages
        .put("socketSendBufferBytes", SOCKET_SEND_BUFFER_BYTES)
        // the flood is hundreds of messages a second from one user: not what the rate limit is tested with
        .put("messagesPerSecond", 1_000_000.0)
        .put("messageBurst", 1_000_000));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @BeforeEach
  void captureLog() {
    token = cluster.token(TestCluster.newUserId());
    nodeLog = new ListAppender<>();
    nodeLog.start();
    ((Logger) LoggerFactory.getLogger("chorus.gateway.socket")).addAppender(nodeLog);
  }

  @AfterEach
  void releaseLog() {
    ((Logger) LoggerFactory.getLogger("chorus.gateway.socket")).detachAppender(nodeLog);
  }

  /** A conversation with a survey bot: no reply jobs, so the flood is only the test's own messages. */
  private String quietConversation() {
    String bot = cluster.post(0, "/api/v1/bots", token, new JsonObject().put("name", "Tally").put("kind", "survey"))
        .body().getString("id");
    return cluster.post(0, "/api/v1/conversations", token, new JsonObject().put("bot_id", bot).put("title", "flood"))
        .body().getString("id");
  }

  /**
   * A client that reads the connection_ack, then stops reading; its receive buffer is small.
   * What it gets once it reads again is recorded in {@code received}.
   */
  private WsClient slowClient(String conversationId, List<JsonObject> received) {
    WsClient ws = Await.result(cluster.connectAsync(0, "/api/v1/conversations/" + conversationId + "/ws?token=" + token, null,
        new WebSocketClientOptions().setReceiveBufferSize(4096)));
    ws.next("connection_ack");
    ws.socket().pause();
    ws.socket().frameHandler(frame -> {
      if (frame.isText() && frame.isFinal()) {
        received.add(new JsonObject(frame.textData()));
      }
    });
    return ws;
  }

  private static String port(WsClient ws) {
    return ":" + ws.socket().localAddress().port();
  }

  private boolean logged(String text, String port) {
    synchronized (nodeLog.list) {
      return nodeLog.list.stream().map(ILoggingEvent::getFormattedMessage).anyMatch(m -> m.contains(text) && m.contains(port + " "));
    }
  }

  /**
   * Sends messages from {@code sender} (at most {@link #IN_FLIGHT} unacknowledged) until
   * {@code done} holds after an acknowledgement, then a few more; returns the message ids sent.
   */
  private List<String> flood(WsClient sender, java.util.function.BooleanSupplier done) {
    List<String> sent = new ArrayList<>();
    int acknowledged = 0;
    int extra = -1;
    while (sent.size() < MAX_MESSAGES && extra != 0) {
      String id = "m-" + sent.size();
      sender.userMessage(CONTENT, id);
      sent.add(id);
      if (extra > 0) {
        extra--;
      }
      while (sent.size() - acknowledged >= IN_FLIGHT || (extra == 0 && acknowledged < sent.size())) {
        JsonObject frame = sender.next();
        assertEquals("message_received", frame.getString("type"), frame::encode);
        acknowledged++;
      }
      if (extra < 0 && done.getAsBoolean()) {
        extra = 10;
      }
    }
    while (acknowledged < sent.size()) {
      sender.next("message_received");
      acknowledged++;
    }
    assertTrue(extra == 0, "the slow client never overflowed after " + sent.size() + " messages");
    return sent;
  }

  /** Every frame the client got carries the next seq: in order, no gap, no duplicate; returns the message_ids seen. */
  private static List<String> assertInOrder(List<JsonObject> frames) {
    List<String> ids = new ArrayList<>();
    long previous = -1;
    for (JsonObject frame : frames) {
      JsonObject message = frame.getJsonObject("message");
      assertNotNull(message, frame::encode);
      long seq = message.getLong("seq");
      if (previous >= 0) {
        assertEquals(previous + 1, seq, "seq out of order");
      }
      previous = seq;
      ids.add(message.getString("message_id"));
    }
    return ids;
  }

  private static List<JsonObject> drain(WsClient ws, int count) {
    List<JsonObject> frames = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      frames.add(ws.next("message_received"));
    }
    return frames;
  }

  @Test
  void aSlowClientIsClosedWith1013AndFastClientsOnTheConversationAreUnaffected() {
    String conversationId = quietConversation();
    List<JsonObject> got = Collections.synchronizedList(new ArrayList<>());
    WsClient slow = slowClient(conversationId, got);
    WsClient fast = cluster.openConversation(0, conversationId, token);
    WsClient sender = cluster.openConversation(0, conversationId, token);
    String slowPort = port(slow);

    List<String> sent = flood(sender, () -> logged("slow consumer", slowPort));

    // the fast client got every message, in seq order
    assertEquals(sent, assertInOrder(drain(fast, sent.size())));
    // the slow one, once it reads again: an in-order prefix of the stream, then 1013
    slow.socket().resume();
    assertEquals(1013, slow.awaitClose());
    List<String> prefix = assertInOrder(List.copyOf(got));
    assertTrue(prefix.size() < sent.size(), "the slow client was cut off before the end");
    assertEquals(sent.subList(0, prefix.size()), prefix);
    assertFalse(logged("dropping the connection", slowPort), "closed by the handshake, not dropped");

    // the node keeps serving: the fast client, and a new connection
    fast.userMessage("after the flood", "after");
    assertEquals("after", fast.next("message_received").getJsonObject("message").getString("message_id"));
    WsClient fresh = cluster.openConversation(0, conversationId, token);
    fresh.userMessage("hello again", "again");
    assertEquals("again", fresh.next("message_received").getJsonObject("message").getString("message_id"));
    fast.close();
    sender.close();
    fresh.close();
  }

  @Test
  void aClientThatNeverReadsAgainIsDroppedAfterTheCloseGrace() {
    String conversationId = quietConversation();
    WsClient slow = slowClient(conversationId, new ArrayList<>());
    WsClient sender = cluster.openConversation(0, conversationId, token);
    String slowPort = port(slow);
    flood(sender, () -> logged("slow consumer", slowPort));
    Await.until("the node drops the connection", Duration.ofMillis(CLOSE_GRACE_MS + 10_000),
        () -> logged("dropping the connection", slowPort));
    // its close frame was still queued behind what it never read: it sees the connection end without one
    slow.socket().resume();
    short code = slow.awaitClose();
    assertTrue(code == 1006 || code == -1, "expected an abnormal closure, got " + code);
    // and the node keeps serving
    sender.userMessage("after the drop", "after-drop");
    assertEquals("after-drop", sender.next("message_received").getJsonObject("message").getString("message_id"));
    sender.close();
  }
}
