package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.TestCluster.HttpResult;
import chorus.node.support.UserProfileClients;
import chorus.node.support.UserProfileClients.Member;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code http.instances}: a node's gateway runs on several event loops sharing one port. A
 * conversation whose sockets landed on different loops is one conversation to its users, the
 * node's socket cap counts every loop's sockets together, and a drain sends away all of them.
 */
class GatewayEventLoopsTest {
  static final int LOOPS = 2;
  static final int MAX_SOCKETS = 4;

  @Test
  void socketsOnDifferentEventLoopsAreOneNodeToTheirUsers() {
    try (TestCluster cluster = TestCluster.start(1, config -> {
      config.getJsonObject("http").put("instances", LOOPS);
      config.getJsonObject("limits").put("maxSocketsPerNode", MAX_SOCKETS);
    })) {
      UserProfileClients users = new UserProfileClients(cluster);
      List<Member> members = new ArrayList<>();
      for (int i = 0; i < MAX_SOCKETS; i++) {
        members.add(users.member());
      }
      String conversation = users.conversation(members.get(0), members.subList(1, MAX_SOCKETS).toArray(Member[]::new));
      List<WsClient> sockets = new ArrayList<>();
      for (Member member : members) {
        WsClient ws = users.connect(0, member);
        UserProfileClients.join(ws, conversation);
        sockets.add(ws);
      }

      // new connections go to each event loop in turn
      HttpResult status = cluster.get(0, "/admin/status", cluster.token(new JsonObject().put("sub", "ops").put("role", "admin"), 600));
      assertEquals(200, status.status(), status::toString);
      JsonObject byLoop = status.body().getJsonObject("sockets_by_event_loop");
      assertEquals(LOOPS, byLoop.size(), byLoop::encode);
      byLoop.forEach(loop -> assertEquals(MAX_SOCKETS / LOOPS, ((Number) loop.getValue()).intValue(), byLoop::encode));

      // every member's message reaches every socket, in one order, whichever loop holds it
      for (int i = 0; i < sockets.size(); i++) {
        UserProfileClients.say(sockets.get(i), conversation, "from " + i);
      }
      List<String> first = null;
      for (WsClient ws : sockets) {
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < sockets.size(); i++) {
          JsonObject message = ws.next("new_message").getJsonObject("message");
          seen.add(message.getLong("seq") + ":" + message.getString("content"));
        }
        if (first == null) {
          first = seen;
        }
        assertEquals(first, seen, "every socket sees the same messages in the same order");
      }
      assertEquals(sockets.size(), first.stream().map(s -> s.substring(s.indexOf(':') + 1)).distinct().count(), first::toString);

      // the cap is the node's, not each loop's
      TestCluster.Refusal over = cluster.refusal(0, "/ws/auth?token=" + users.member().token());
      assertEquals("NODE_FULL", over.error().getString("code"));
      assertEquals(1013, over.closeCode());

      // a drain sends away the sockets of every loop
      Await.result(cluster.node(0).drain());
      for (WsClient ws : sockets) {
        assertEquals("SERVER_RESTARTING", ws.next("error").getString("code"));
        assertEquals(1012, ws.awaitClose());
      }
    }
  }
}
