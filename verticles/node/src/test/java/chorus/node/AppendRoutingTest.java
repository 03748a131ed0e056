package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import chorus.shared.Addresses;
import chorus.shared.bus.MessageAppended;
import chorus.shared.bus.PersistenceAlive;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * With a persistence role on every node, the appends of one conversation, sent through
 * sockets on all of them, are committed by one role (the one every gateway hashes the
 * conversation to), so they are batched together rather than queueing on the
 * conversation's row lock from three nodes; when that role's node drains, every gateway
 * moves the conversation to one other role at its next append, not ten seconds later.
 */
class AppendRoutingTest {

  @Test
  void aConversationsAppendsFromEveryNodeAreCommittedByOneRoleAndMoveTogetherWhenItLeaves() {
    try (TestCluster cluster = TestCluster.create(3, config -> {})) {
      for (int i = 0; i < 3; i++) {
        cluster.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE, NodeRole.PRESENCE));
      }
      String token = cluster.token(TestCluster.newUserId());
      String conversationId = cluster.newConversation(token, "Routed", "One writer.", "survey");
      List<WsClient> sockets = new ArrayList<>();
      for (int node = 0; node < 3; node++) {
        sockets.add(cluster.openConversation(node, conversationId, token));
      }
      // which role committed each message, by its content, heard on every node (one of them
      // leaves below); by content, so that a commit heard late is not counted in a later round
      Map<String, String> committedBy = new ConcurrentHashMap<>();
      for (int node = 0; node < 3; node++) {
        Await.result(cluster.node(node).vertx().eventBus().<Object>consumer(Addresses.conversationTopic(UUID.fromString(conversationId)), message -> {
          if (message.body() instanceof MessageAppended appended) {
            committedBy.putIfAbsent(appended.message().content(), appended.committedBy());
          }
        }).completion());
      }

      // until each gateway has heard all three roles, a gateway may still pick another one; a
      // listener of the test's own on each node hears what that node's gateway (listening since
      // before) hears, so once each has heard all three, so has each gateway
      Map<Integer, Set<String>> heardOn = new ConcurrentHashMap<>();
      for (int node = 0; node < 3; node++) {
        int on = node;
        Await.result(cluster.node(node).vertx().eventBus().<PersistenceAlive>consumer(Addresses.PERSISTENCE_ALIVE,
            alive -> heardOn.computeIfAbsent(on, n -> ConcurrentHashMap.newKeySet()).add(alive.body().nodeInstance())).completion());
      }
      Await.until("every node has heard the three persistence roles", Duration.ofSeconds(10),
          () -> heardOn.values().stream().filter(roles -> roles.size() == 3).count() == 3);
      int[] sent = {0};
      Await.until("all three gateways send to one role", Duration.ofSeconds(10),
          () -> roles(committedBy, sendRound(sockets, sockets, "probe", sent)).size() == 1);
      List<String> contents = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        contents.addAll(sendRound(sockets, sockets, "m", sent));
      }
      Set<String> roles = roles(committedBy, contents);
      assertEquals(1, roles.size(), () -> "committed by " + roles);

      // the chosen role's node drains (a rolling restart): the others' gateways move the
      // conversation to the same one of the two roles left
      String leaving = roles.iterator().next();
      int leavingIndex = Integer.parseInt(leaving.substring("test-node-".length()));
      Await.result(cluster.node(leavingIndex).drain(), Duration.ofSeconds(60));
      List<WsClient> left = new ArrayList<>(sockets);
      left.remove(leavingIndex);
      int stayingIndex = leavingIndex == 0 ? 1 : 0;
      Await.until("the drained node has left", Duration.ofSeconds(30),
          () -> cluster.node(stayingIndex).hazelcast().getCluster().getMembers().size() == 2);
      // each gateway's first append finds the role gone (it goes to any role), and the next ones
      // go where every gateway now hashes the conversation
      sendRound(left, left, "after drain probe", sent);
      List<String> afterDrain = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        afterDrain.addAll(sendRound(left, left, "after drain m", sent));
      }
      Set<String> rolesAfterDrain = roles(committedBy, afterDrain);
      assertEquals(1, rolesAfterDrain.size(), () -> "committed after the drain by " + rolesAfterDrain);
      assertNotEquals(leaving, rolesAfterDrain.iterator().next());
      left.forEach(WsClient::close);
    }
  }

  /** One message from each of {@code from}, each awaited on every one of {@code sockets}; their contents. */
  private static List<String> sendRound(List<WsClient> sockets, List<WsClient> from, String prefix, int[] sent) {
    List<String> contents = new ArrayList<>();
    for (WsClient socket : from) {
      String content = prefix + " " + sent[0]++;
      send(sockets, socket, content);
      contents.add(content);
    }
    return contents;
  }

  /** The roles that committed these messages (the test's subscribers may hear of the last ones a moment after the sockets). */
  private static Set<String> roles(Map<String, String> committedBy, List<String> contents) {
    Await.until("the commits of " + contents + " heard", Duration.ofSeconds(5), () -> committedBy.keySet().containsAll(contents));
    Set<String> roles = new HashSet<>();
    contents.forEach(content -> roles.add(committedBy.get(content)));
    return roles;
  }

  /** Sends from one socket and waits until every socket has the stored message. */
  private static void send(List<WsClient> sockets, WsClient from, String content) {
    from.userMessage(content, content);
    for (WsClient socket : sockets) {
      while (true) {
        JsonObject frame = socket.next();
        if (frame.getString("type").equals("message_received") && content.equals(frame.getJsonObject("message").getString("content"))) {
          break;
        }
      }
    }
  }
}
