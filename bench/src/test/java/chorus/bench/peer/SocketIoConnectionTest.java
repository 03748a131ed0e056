package chorus.bench.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Java Socket.IO client against the real Socket.IO 4.8 peer (node server.js), one and two processes. */
class SocketIoConnectionTest {
  private static Vertx vertx;
  private static WebSocketClient client;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    client = vertx.createWebSocketClient();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void joinSendWithAckAndBroadcastToTheRoomOnly() throws Exception {
    try (SocketIoPeerProcess peer = SocketIoPeerProcess.start(Map.of("ADAPTER", "none"))) {
      SocketIoConnection sender = connect(peer);
      SocketIoConnection member = connect(peer);
      SocketIoConnection outsider = connect(peer);
      List<JsonObject> senderGot = collectMsgs(sender);
      List<JsonObject> memberGot = collectMsgs(member);
      List<JsonObject> outsiderGot = collectMsgs(outsider);

      assertEquals(new JsonArray().add("ok"), await(sender.emitWithAck("join", "room-1")));
      assertEquals(new JsonArray().add("ok"), await(member.emitWithAck("join", "room-1")));
      assertEquals(new JsonArray().add("ok"), await(outsider.emitWithAck("join", "room-2")));

      JsonObject first = msg("room-1", "m1", "hello");
      assertEquals(new JsonArray().add(new JsonObject().put("id", "m1")), await(sender.emitWithAck("msg", first)));
      // The server handles one socket's events in order and writes each broadcast before the
      // next, so once these later messages arrive, any duplicate or stray m1 would have too.
      JsonObject second = msg("room-1", "m2", "world");
      JsonObject toOtherRoom = msg("room-2", "m3", "elsewhere");
      await(sender.emitWithAck("msg", second));
      await(sender.emitWithAck("msg", toOtherRoom));
      until("room-1 members got m2", () -> senderGot.size() >= 2 && memberGot.size() >= 2);
      until("the room-2 member got m3", () -> !outsiderGot.isEmpty());

      assertEquals(List.of(first, second), senderGot, "the sender gets its own broadcasts, once each");
      assertEquals(List.of(first, second), memberGot, "the other member gets each broadcast once");
      assertEquals(List.of(toOtherRoom), outsiderGot, "a socket in another room gets only that room's");

      AtomicBoolean closed = new AtomicBoolean();
      member.closeHandler(v -> closed.set(true));
      await(member.close());
      until("the close handler ran", closed::get);
      assertTrue(member.isClosed());
      assertTrue(member.emitWithAck("msg", first).failed(),
          "an emit on a closed connection fails at once instead of waiting forever");
    }
  }

  @Test
  void answersPingsSoTheServerKeepsTheConnection() throws Exception {
    // Engine.IO v4 sends its next ping only once the last one's pong has arrived (and
    // closes the connection when a pong is PING_TIMEOUT_MS late), so a third ping proves
    // the first two pongs reached the server. The long timeout keeps a loaded machine from
    // failing the test; it is not what proves anything.
    try (SocketIoPeerProcess peer = SocketIoPeerProcess.start(
        Map.of("ADAPTER", "none", "PING_INTERVAL_MS", "100", "PING_TIMEOUT_MS", "10000"))) {
      SocketIoConnection connection = connect(peer);
      until("three pings answered", () -> connection.pingsAnswered() >= 3);
      assertEquals(new JsonArray().add("ok"), await(connection.emitWithAck("join", "room-1")));
      assertFalse(connection.isClosed());
      await(connection.close());
    }
  }

  @Test
  void postgresAdapterCarriesABroadcastToASocketOnTheOtherProcess() throws Exception {
    // The adapter's table goes in a schema of its own, so the test database's public
    // schema (Flyway's, for the node's tests) never holds a table Flyway did not create.
    String database = System.getenv().getOrDefault("CHORUS_TEST_PG_DATABASE", "chorus_test");
    String schema = "socketio_peer_test";
    PgConnectOptions connect = new PgConnectOptions().setHost("127.0.0.1").setPort(5432)
        .setDatabase(database).setUser("chorus").setPassword("chorus");
    Pool pool = PgBuilder.pool().connectingTo(connect).using(vertx).build();
    await(pool.query("CREATE SCHEMA IF NOT EXISTS " + schema).execute());
    Map<String, String> env = Map.of("ADAPTER", "postgres",
        "PG_URL", "postgres://chorus:chorus@127.0.0.1:5432/" + database + "?options=-c%20search_path%3D" + schema);
    // Started together, as scripts/bench starts its "nodes": both create the adapter's table.
    List<SocketIoPeerProcess> both = SocketIoPeerProcess.startTogether(env, 2);
    try (SocketIoPeerProcess one = both.get(0); SocketIoPeerProcess two = both.get(1)) {
      SocketIoConnection sender = connect(one);
      SocketIoConnection remote = connect(two);
      List<JsonObject> senderGot = collectMsgs(sender);
      List<JsonObject> remoteGot = collectMsgs(remote);
      await(sender.emitWithAck("join", "room-x"));
      await(remote.emitWithAck("join", "room-x"));

      JsonObject first = msg("room-x", "x1", "across processes");
      assertEquals(new JsonArray().add(new JsonObject().put("id", "x1")), await(sender.emitWithAck("msg", first)));
      until("the socket on the other process got x1", () -> !remoteGot.isEmpty());
      JsonObject second = msg("room-x", "x2", "and again");
      await(sender.emitWithAck("msg", second));
      until("both got x2", () -> remoteGot.contains(second) && senderGot.contains(second));

      assertEquals(List.of(first, second), senderGot, "the sender's own process delivers to it once each");
      assertEquals(1, remoteGot.stream().filter(first::equals).count(), "x1 crossed over exactly once");
      assertEquals(1, remoteGot.stream().filter(second::equals).count(), "x2 crossed over exactly once");
      assertEquals(2, remoteGot.size());
    } finally {
      await(pool.query("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute());
      await(pool.close());
    }
  }

  private static SocketIoConnection connect(SocketIoPeerProcess peer) throws Exception {
    SocketIoConnection connection = await(SocketIoConnection.connect(client, "127.0.0.1", peer.port()));
    assertTrue(connection.sid() != null && !connection.sid().isEmpty(), "the namespace connect gave a sid");
    return connection;
  }

  private static List<JsonObject> collectMsgs(SocketIoConnection connection) {
    List<JsonObject> got = new CopyOnWriteArrayList<>();
    connection.on("msg", args -> got.add(args.getJsonObject(0)));
    return got;
  }

  private static JsonObject msg(String room, String id, String body) {
    return new JsonObject().put("room", room).put("id", id).put("ts", System.currentTimeMillis()).put("body", body);
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.await(20, TimeUnit.SECONDS);
  }

  private static void until(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(10);
    }
  }
}
