package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.gateway.GatewayMeters;
import chorus.gateway.socket.NodeSockets;
import chorus.gateway.socket.SocketLimits;
import chorus.node.support.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node's socket count and its safety sweep, on a real server and a client that speaks the
 * WebSocket handshake by hand and then never answers a close frame: a socket in its close
 * handshake is still open (its close handler has not run), and the sweep must not count it
 * down as a missed release until it has been closing for longer than limits.closeGraceMs.
 */
class NodeSocketsSweepTest {
  static final long CLOSE_GRACE_MS = 1_000;
  static final long SWEEP_MS = 50;

  Vertx vertx;
  NodeSockets sockets;
  HttpServer server;
  Promise<ServerWebSocket> admitted;
  NetClient netClient;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    SocketLimits limits = new SocketLimits(0, 0, SocketLimits.DEFAULT_WRITE_QUEUE_MAX_BYTES, 10, CLOSE_GRACE_MS,
        SocketLimits.DEFAULT_SOCKET_SEND_BUFFER_BYTES, SocketLimits.DEFAULT_FRAMES_PER_WRITE);
    sockets = new NodeSockets(vertx, limits, new GatewayMeters(new SimpleMeterRegistry(), "sweep-test"), SWEEP_MS);
    admitted = Promise.promise();
    // the server waits a minute for the client's close frame: only the client, or the sweep, ends it sooner
    server = vertx.createHttpServer(new HttpServerOptions().setWebSocketClosingTimeout(60))
        .webSocketHandler(ws -> sockets.admit(ws, "test", "{}").onComplete(admitted));
    Await.result(server.listen(0, "127.0.0.1"));
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  /** Opens a WebSocket, then stops reading: what the server writes piles up in the buffers between them. */
  private NetSocket stalledClient() {
    // held in a field: Vert.x closes a client, and its connections, once it is unreachable (a
    // garbage collection before the 101 arrived left this waiting for it: a CI flake)
    netClient = vertx.createNetClient();
    NetSocket socket = Await.result(netClient.connect(server.actualPort(), "127.0.0.1"));
    Promise<Void> upgraded = Promise.promise();
    Buffer response = Buffer.buffer();
    socket.handler(bytes -> {
      response.appendBuffer(bytes);
      if (response.toString().startsWith("HTTP/1.1 101")) {
        socket.pause();
        upgraded.tryComplete();
      }
    });
    socket.write("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    Await.result(upgraded.future());
    return socket;
  }

  /** A masked close frame with status 1000, as a client sends it (a zero mask leaves the payload as is). */
  static final Buffer CLOSE_FRAME = Buffer.buffer(new byte[] {(byte) 0x88, (byte) 0x82, 0, 0, 0, 0, 0x03, (byte) 0xE8});

  /**
   * The client asks to close while the server still has megabytes queued for it: the socket
   * reports closed at once, but its connection (and close handler) waits for the queue.
   */
  private ServerWebSocket closingWithAFullQueue(NetSocket client) {
    ServerWebSocket ws = Await.result(admitted.future());
    vertx.runOnContext(v -> {
      for (int i = 0; i < 16; i++) {
        ws.writeBinaryMessage(Buffer.buffer(new byte[1 << 20]));
      }
    });
    client.write(CLOSE_FRAME);
    Await.until("the server has read the close frame", Duration.ofSeconds(5), ws::isClosed);
    return ws;
  }

  @Test
  void aSocketInItsCloseHandshakeStaysCountedWithinTheCloseGrace() throws Exception {
    NetSocket client = stalledClient();
    closingWithAFullQueue(client);
    Thread.sleep(CLOSE_GRACE_MS / 2); // ten sweeps, all within the close grace
    assertEquals(1, sockets.open(), "a socket still closing was counted down as a missed release");

    Await.result(client.close()); // the connection ends: its close handler counts it down
    Await.until("the closed socket is counted down", Duration.ofSeconds(5), () -> sockets.open() == 0);
  }

  @Test
  void aSocketClosingForLongerThanTheGraceIsCountedDownByTheSweep() {
    NetSocket client = stalledClient();
    closingWithAFullQueue(client);
    long closingAt = System.nanoTime();
    Await.until("the sweep counts the stuck socket down", Duration.ofSeconds(5), () -> sockets.open() == 0);
    long afterMs = Duration.ofNanos(System.nanoTime() - closingAt).toMillis();
    assertTrue(afterMs >= CLOSE_GRACE_MS, "counted down after " + afterMs + " ms, before the close grace ran out");
    client.close();
  }
}
