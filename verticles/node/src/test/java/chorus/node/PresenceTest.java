package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import chorus.shared.Addresses;
import chorus.shared.bus.PresenceQuery;
import chorus.shared.bus.PresenceSnapshot;
import io.vertx.core.eventbus.Message;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Presence, cluster-wide: who has at least one socket open and on which nodes, asked from
 * any node; forgotten when a socket closes, and when its node dies without saying goodbye.
 */
class PresenceTest {
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.startRoleSplit();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static PresenceSnapshot ask(int fromNode, String... users) {
    return Await.result(cluster.node(fromNode).vertx().eventBus()
        .<PresenceSnapshot>request(Addresses.PRESENCE_QUERY, new PresenceQuery(List.of(users)))
        .map(Message::body));
  }

  @Test
  void socketsOnTwoNodesAreSeenFromAThirdUntilTheLastCloses() {
    String user = TestCluster.newUserId();
    String token = cluster.token(user);
    String conversationId = cluster.newConversation(token, "Presence", "Watches.");
    String stranger = TestCluster.newUserId();

    WsClient onNode1 = cluster.openConversation(1, conversationId, token);
    WsClient onNode2 = cluster.openConversation(2, conversationId, token);
    Await.until("two nodes listed", Duration.ofSeconds(5), () -> ask(0, user).nodesByUser().getOrDefault(user, List.of()).size() == 2);
    PresenceSnapshot both = ask(0, user, stranger);
    assertEquals(List.of("test-node-1", "test-node-2"), ids(both.nodesByUser().get(user)));
    assertFalse(both.isOnline(stranger));

    onNode1.close();
    Await.until("node 1 forgotten", Duration.ofSeconds(5), () -> ids(ask(0, user).nodesByUser().get(user)).equals(List.of("test-node-2")));
    assertTrue(ask(1, user).isOnline(user));

    onNode2.close();
    Await.until("offline", Duration.ofSeconds(5), () -> !ask(0, user).isOnline(user));
    assertFalse(ask(2, user).isOnline(user));
  }

  @Test
  void aKilledNodesSocketsAreForgottenWithinTenSeconds() {
    // this test kills node 2, so it must run on a cluster of its own
    try (TestCluster own = TestCluster.create(5, config -> {})) {
      own.addNode(EnumSet.allOf(NodeRole.class));
      own.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PRESENCE));
      own.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PRESENCE));
      String user = TestCluster.newUserId();
      String token = own.token(user);
      String conversationId = own.newConversation(token, "Ghost", "Never lingers.");
      String survivor = TestCluster.newUserId();
      String survivorToken = own.token(survivor);
      String survivorConversation = own.newConversation(survivorToken, "Stays", "Stays online.");

      own.openConversation(2, conversationId, token);
      WsClient sameUserElsewhere = own.openConversation(1, conversationId, token);
      WsClient other = own.openConversation(1, survivorConversation, survivorToken);
      // a user whose only socket is on the node that dies, watched by the survivor from node 0
      String ghost = TestCluster.newUserId();
      String ghostToken = own.token(ghost);
      String shared = own.newConversation(survivorToken, "Shared", "Both.", "survey");
      own.post(0, "/api/v1/conversations/" + shared + "/members", survivorToken, new io.vertx.core.json.JsonObject().put("user_id", ghost));
      WsClient watcher = own.connect(0, "/ws/auth?token=" + survivorToken);
      watcher.next("online_users");
      WsClient ghostSocket = own.connect(2, "/ws/auth?token=" + ghostToken);
      ghostSocket.next("online_users");
      io.vertx.core.json.JsonObject cameOnline = watcher.next("presence_update");
      assertEquals(ghost, cameOnline.getString("user_id"));
      assertTrue(cameOnline.getBoolean("online"));
      PresenceQuery query = new PresenceQuery(List.of(user, survivor));
      Await.until("both online", Duration.ofSeconds(5), () -> snapshot(own, query).nodesByUser().getOrDefault(user, List.of()).size() == 2);

      long killedAt = System.nanoTime();
      own.kill(2);
      Await.until("the dead node's sockets forgotten", Duration.ofSeconds(10),
          () -> ids(snapshot(own, query).nodesByUser().get(user)).equals(List.of("test-node-1")));
      long seconds = Duration.ofNanos(System.nanoTime() - killedAt).toSeconds();
      assertTrue(seconds < 10, "took " + seconds + " s");
      assertEquals(List.of("test-node-0", "test-node-1"), ids(snapshot(own, query).nodesByUser().get(survivor)));
      // and the watcher was told, once, that the ghost went offline
      io.vertx.core.json.JsonObject wentOffline = watcher.next("presence_update");
      assertEquals(ghost, wentOffline.getString("user_id"));
      assertFalse(wentOffline.getBoolean("online"));
      watcher.expectSilence(Duration.ofMillis(500));
      watcher.close();

      sameUserElsewhere.close();
      Await.until("offline once the last socket closes", Duration.ofSeconds(5), () -> !snapshot(own, query).isOnline(user));
      other.close();
    }
  }

  @Test
  void aNodeRunUnderTheSameIdAsADyingOneKeepsItsSockets() {
    // a restart that overlaps the old process (a rolling restart starting the new JVM while the
    // old one drains, a supervisor that does not wait): two runs of test-node-2 at once
    try (TestCluster own = TestCluster.create(4, config -> {})) {
      own.addNode(EnumSet.allOf(NodeRole.class));
      own.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PRESENCE));
      own.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PRESENCE));
      own.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PRESENCE), "test-node-2");
      String user = TestCluster.newUserId();
      String token = own.token(user);
      String conversationId = own.newConversation(token, "Phoenix", "Comes back.");
      PresenceQuery query = new PresenceQuery(List.of(user));
      own.openConversation(2, conversationId, token);
      WsClient onNewRun = own.openConversation(3, conversationId, token);
      Await.until("both runs hold a socket", Duration.ofSeconds(5),
          () -> snapshot(own, query).nodesByUser().getOrDefault(user, List.of()).size() == 2);

      own.kill(2);
      Await.until("the dead run forgotten", Duration.ofSeconds(10),
          () -> snapshot(own, query).nodesByUser().getOrDefault(user, List.of()).size() != 2);
      // give a wrong forgetting (of every run of the id, not just the dead one) time to show
      onNewRun.expectSilence(Duration.ofSeconds(1));
      assertEquals(List.of("test-node-2"), ids(snapshot(own, query).nodesByUser().getOrDefault(user, List.of())),
          "the socket on the live run of test-node-2 still counts");
      onNewRun.close();
    }
  }

  /** Presence keeps node runs ({@code <node id>#<suffix>}); these tests name nodes. */
  private static List<String> ids(List<String> instances) {
    return instances.stream().map(instance -> instance.substring(0, instance.indexOf('#'))).toList();
  }

  /**
   * Right after a node dies the cluster still lists its roles for a few seconds, and a
   * request sent there is never answered (Vert.x does not fail it: it waits out the
   * timeout). Here a node whose presence addresses, and whose persistence address for a
   * socket's context, swallow every request stands for it (deterministically, and for as
   * long as the test runs): sockets opened meanwhile connect, and are recorded, because each
   * such request is tried again until a live role answers; so their users are shown online
   * while connected and offline once they close.
   */
  @Test
  void requestsAnsweredByNobodyAreTriedAgainElsewhere() {
    try (TestCluster own = TestCluster.create(3, config -> config.getJsonObject("limits").put("requestAttemptMs", 500))) {
      own.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE));
      own.addNode(EnumSet.of(NodeRole.PRESENCE));
      ChorusNode silent = own.addNode(EnumSet.of(NodeRole.GATEWAY));
      for (String address : List.of(Addresses.PRESENCE_SOCKET_OPENED, Addresses.PRESENCE_SOCKET_CLOSED,
          Addresses.PRESENCE_VIEWER_JOINED, Addresses.PRESENCE_VIEWER_LEFT, Addresses.CONNECT_CONTEXT)) {
        Await.result(silent.vertx().eventBus().consumer(address, message -> { }).completion());
      }
      List<String> users = new java.util.ArrayList<>();
      List<WsClient> sockets = new java.util.ArrayList<>();
      // requests to each of those addresses now alternate between the silent node and the live role
      for (int i = 0; i < 4; i++) {
        users.add(TestCluster.newUserId());
        String token = own.token(users.get(i));
        sockets.add(own.openConversation(0, own.newConversation(token, "Listed", "Still listed.", "survey"), token));
      }
      PresenceQuery query = new PresenceQuery(users);
      Await.until("every connected user shown online", Duration.ofSeconds(15),
          () -> users.stream().allMatch(snapshot(own, query)::isOnline));
      sockets.forEach(WsClient::close);
      Await.until("offline once closed", Duration.ofSeconds(15),
          () -> users.stream().noneMatch(snapshot(own, query)::isOnline));
    }
  }

  @Test
  void aCleanStopTakesItsUsersOfflineAtOnce() {
    // failure detection slowed to a minute: an offline update within the frame wait (15 s) can
    // only come from the clean stop itself, not from the cluster noticing a silent member
    try (TestCluster own = TestCluster.create(4, config -> config.getJsonObject("cluster").put("maxNoHeartbeatSeconds", 60))) {
      own.addNode(EnumSet.allOf(NodeRole.class));
      own.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PRESENCE));
      String watcherId = TestCluster.newUserId();
      String watcherToken = own.token(watcherId);
      String leaver = TestCluster.newUserId();
      String shared = own.newConversation(watcherToken, "Stop", "Clean.", "survey");
      own.post(0, "/api/v1/conversations/" + shared + "/members", watcherToken, new io.vertx.core.json.JsonObject().put("user_id", leaver));
      WsClient watcher = own.connect(0, "/ws/auth?token=" + watcherToken);
      watcher.next("online_users");
      WsClient leaving = own.connect(1, "/ws/auth?token=" + own.token(leaver));
      leaving.next("online_users");
      assertTrue(watcher.next("presence_update").getBoolean("online"));

      Await.result(own.node(1).close());
      io.vertx.core.json.JsonObject offline = watcher.next("presence_update");
      assertEquals(leaver, offline.getString("user_id"));
      assertFalse(offline.getBoolean("online"));
      leaving.awaitClose(); // the stopping node closed its socket
      watcher.close();
    }
  }

  /**
   * Asks with a short timeout and asks again on failure: right after a node dies, a request
   * may still be routed to its presence verticle until the cluster drops its registrations.
   */
  private static PresenceSnapshot snapshot(TestCluster cluster, PresenceQuery query) {
    for (int attempt = 0; ; attempt++) {
      try {
        return Await.result(cluster.node(0).vertx().eventBus()
            .<PresenceSnapshot>request(Addresses.PRESENCE_QUERY, query, new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(1000))
            .map(Message::body), Duration.ofSeconds(2));
      } catch (AssertionError e) {
        if (attempt >= 5) {
          throw e;
        }
      }
    }
  }
}
