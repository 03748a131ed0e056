package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.gateway.socket.SocketLimits;
import chorus.node.support.Await;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The socket hardening settings: shipped defaults, environment overrides, and settings that cannot work. */
class SocketLimitsTest {

  @Test
  void theShippedFileHoldsTheDefaults() {
    Vertx vertx = Vertx.vertx();
    try {
      JsonObject config = Await.result(NodeConfig.load(vertx, NodeConfig.DEFAULT_PATH));
      assertEquals(SocketLimits.defaults(), SocketLimits.from(config));
      assertEquals(new SocketLimits(25_000, 40_000, 1 << 20, 10_000, 5_000, 0, 256), SocketLimits.defaults());
    } finally {
      vertx.close();
    }
  }

  @Test
  void environmentOverridesTheNewKeys() {
    JsonObject file = new JsonObject()
        .put("heartbeat", new JsonObject().put("pingIntervalMs", 25_000).put("timeoutMs", 40_000))
        .put("limits", new JsonObject().put("writeQueueMaxBytes", 1 << 20).put("maxSocketsPerNode", 10_000).put("closeGraceMs", 5_000).put("socketSendBufferBytes", 0)
            .put("framesPerWrite", 256));
    SocketLimits limits = SocketLimits.from(NodeConfig.withEnvironment(file, Map.of(
        "CHORUS_HEARTBEAT_PING_INTERVAL_MS", "10000",
        "CHORUS_HEARTBEAT_TIMEOUT_MS", "15000",
        "CHORUS_LIMITS_WRITE_QUEUE_MAX_BYTES", "65536",
        "CHORUS_LIMITS_MAX_SOCKETS_PER_NODE", "500",
        "CHORUS_LIMITS_CLOSE_GRACE_MS", "2000",
        "CHORUS_LIMITS_SOCKET_SEND_BUFFER_BYTES", "32768",
        "CHORUS_LIMITS_FRAMES_PER_WRITE", "1")));
    assertEquals(new SocketLimits(10_000, 15_000, 65_536, 500, 2_000, 32_768, 1), limits);
    assertEquals(32_768, limits.socketSendBufferSize());
    assertEquals(-1, SocketLimits.defaults().socketSendBufferSize(), "0 leaves the buffer to the OS");
  }

  @Test
  void aTimeoutNotLongerThanThePingIntervalIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SocketLimits.from(new JsonObject().put("heartbeat", new JsonObject().put("pingIntervalMs", 30_000).put("timeoutMs", 30_000))));
    assertTrue(e.getMessage().contains("heartbeat.timeoutMs"), e.getMessage());
    // 0 turns heartbeats off, whatever the timeout
    assertEquals(0, SocketLimits.from(new JsonObject().put("heartbeat", new JsonObject().put("pingIntervalMs", 0))).pingIntervalMs());
    assertThrows(IllegalArgumentException.class,
        () -> SocketLimits.from(new JsonObject().put("limits", new JsonObject().put("maxSocketsPerNode", 0))));
    IllegalArgumentException frames = assertThrows(IllegalArgumentException.class,
        () -> SocketLimits.from(new JsonObject().put("limits", new JsonObject().put("framesPerWrite", 0))));
    assertTrue(frames.getMessage().contains("limits.framesPerWrite"), frames.getMessage());
  }
}
