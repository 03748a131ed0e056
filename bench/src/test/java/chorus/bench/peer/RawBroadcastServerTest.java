package chorus.bench.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The raw broadcast limit over real WebSockets, with two instances sharing the port. */
class RawBroadcastServerTest {
  private static Vertx serverVertx;
  private static Vertx clientVertx;
  private static WebSocketClient client;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    serverVertx = Vertx.vertx();
    port = RawBroadcastServer.start(serverVertx, "127.0.0.1", 0, 2).await(20, TimeUnit.SECONDS);
    clientVertx = Vertx.vertx();
    client = clientVertx.createWebSocketClient();
  }

  @AfterAll
  static void stop() throws Exception {
    clientVertx.close().await(10, TimeUnit.SECONDS);
    serverVertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void everyMemberGetsABroadcastOnceAndTheSenderItsAck() throws Exception {
    // Four members: Vert.x hands connections to the two instances in turn, so the room
    // spans both and the cross-instance hand-off is exercised.
    List<Client> members = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      members.add(connect());
    }
    Client outsider = connect();
    for (Client member : members) {
      member.send("{\"join\":\"room-1\"}");
    }
    outsider.send("{\"join\":\"room-2\"}");
    for (Client member : members) {
      until("joined", () -> member.frames.contains("{\"joined\":\"room-1\"}"));
      member.frames.clear();
    }
    until("outsider joined", () -> outsider.frames.contains("{\"joined\":\"room-2\"}"));
    outsider.frames.clear();

    Client sender = members.get(0);
    String first = "{\"room\":\"room-1\",\"id\":\"m1\",\"ts\":123,\"body\":\"hello \\\"room\\\"\"}";
    String second = "{\"room\":\"room-1\",\"id\":\"m2\",\"ts\":124,\"body\":\"again\"}";
    String toOtherRoom = "{\"room\":\"room-2\",\"id\":\"m3\",\"ts\":125,\"body\":\"elsewhere\"}";
    sender.send(first);
    sender.send(second);
    sender.send(toOtherRoom);
    // One sender's messages reach every member in the order sent, so once the later ones
    // have arrived any duplicate or stray earlier one would have too.
    until("the sender's three acks", () -> sender.frames.contains("{\"ack\":\"m3\"}"));
    for (Client member : members.subList(1, members.size())) {
      until("each member got m2", () -> member.frames.contains(second));
    }
    until("the room-2 member got m3", () -> outsider.frames.contains(toOtherRoom));

    assertEquals(List.of(first, "{\"ack\":\"m1\"}", second, "{\"ack\":\"m2\"}", "{\"ack\":\"m3\"}"), sender.frames,
        "the sender gets each of its room's broadcasts once, then the ack");
    for (Client member : members.subList(1, members.size())) {
      assertEquals(List.of(first, second), member.frames, "a member gets each broadcast once, as sent");
    }
    assertEquals(List.of(toOtherRoom), outsider.frames, "another room's member gets only that room's");
  }

  @Test
  void aFrameWithoutRoomOrIdGetsAnErrorAndANumericIdIsAckedAsANumber() throws Exception {
    Client alone = connect();
    alone.send("{\"body\":\"no room\"}");
    alone.send("{\"room\":\"solo\",\"id\":42,\"ts\":1,\"body\":\"x\"}");
    until("two replies", () -> alone.frames.size() >= 2);
    assertEquals(List.of("{\"error\":\"bad frame\"}", "{\"ack\":42}"), alone.frames,
        "nobody is in room solo, so the sender gets only its ack");
  }

  private static Client connect() throws Exception {
    WebSocket ws = client.connect(port, "127.0.0.1", RawBroadcastServer.PATH).await(10, TimeUnit.SECONDS);
    Client c = new Client(ws);
    ws.textMessageHandler(c.frames::add);
    return c;
  }

  private record Client(WebSocket ws, List<String> frames) {
    Client(WebSocket ws) {
      this(ws, new CopyOnWriteArrayList<>());
    }

    void send(String text) throws Exception {
      ws.writeTextMessage(text).await(10, TimeUnit.SECONDS);
    }
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
