package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.TestCluster;
import chorus.node.support.UserProfileClients;
import chorus.node.support.UserProfileClients.Member;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Seed 002's future presence items: activity status (active, away, dnd) kept cluster-wide
 * and announced once per change, and last seen timestamps that outlive the whole cluster.
 */
class PresenceStatusTest {

  private static JsonObject statusOf(WsClient ws, String... userIds) {
    ws.send(new JsonObject().put("type", "get_online_status").put("user_ids", new JsonArray(java.util.List.of((Object[]) userIds))));
    return ws.next("online_users");
  }

  private static JsonObject setStatus(WsClient ws, Object status) {
    ws.send(new JsonObject().put("type", "set_status").put("status", status));
    return ws.next();
  }

  @Test
  void statusChangesReachACoMemberOnAnotherNodeOncePerChangeAndResetWhenOffline() {
    try (TestCluster cluster = TestCluster.start(3)) {
      UserProfileClients users = new UserProfileClients(cluster);
      Member alice = users.member();
      Member bob = users.member();
      Member stranger = users.member();
      users.conversation(alice, bob);
      WsClient watcher = users.watch(0, alice);
      WsClient phone = users.watch(1, bob);
      JsonObject online = watcher.next("presence_update");
      assertTrue(online.getBoolean("online"));
      assertEquals("active", online.getString("status"));
      WsClient laptop = users.watch(2, bob);
      WsClient eve = users.watch(2, stranger);

      JsonObject ack = setStatus(phone, "away");
      assertEquals("status_updated", ack.getString("type"));
      assertEquals("away", ack.getString("status"));
      assertTrue(ack.getBoolean("changed"));
      JsonObject away = watcher.next("presence_update");
      assertEquals(bob.id(), away.getString("user_id"));
      assertTrue(away.getBoolean("online"));
      assertEquals("away", away.getString("status"));
      Instant.parse(away.getString("timestamp"));

      // the same status from bob's other device is no change: no second update
      JsonObject again = setStatus(laptop, "away");
      assertFalse(again.getBoolean("changed"));
      watcher.expectSilence(Duration.ofMillis(500));
      eve.expectSilence(Duration.ofMillis(100));

      assertEquals("dnd", setStatus(laptop, "dnd").getString("status"));
      assertEquals("dnd", watcher.next("presence_update").getString("status"));
      JsonObject answer = statusOf(watcher, bob.id(), alice.id());
      assertEquals(new JsonArray().add(alice.id()).add(bob.id()).stream().sorted().toList(), answer.getJsonArray("users").stream().sorted().toList());
      assertEquals("dnd", answer.getJsonObject("statuses").getString(bob.id()));
      assertEquals("active", answer.getJsonObject("statuses").getString(alice.id()));
      // a stranger sees neither bob's status nor that he is online
      JsonObject strangers = statusOf(eve, bob.id());
      assertEquals(new JsonArray(), strangers.getJsonArray("users"));
      assertNull(strangers.getJsonObject("statuses").getString(bob.id()));
      assertNull(strangers.getJsonObject("last_seen").getString(bob.id()));

      // bad values are refused with a code, and change nothing
      for (Object bad : new Object[] {"sleeping", 7, null}) {
        JsonObject error = setStatus(phone, bad);
        assertEquals("error", error.getString("type"));
        assertEquals("INVALID_STATUS", error.getString("code"));
      }
      watcher.expectSilence(Duration.ofMillis(300));
      assertEquals("dnd", statusOf(watcher, bob.id()).getJsonObject("statuses").getString(bob.id()));

      // the last device gone: offline with last_seen; back online: active again
      phone.close();
      laptop.close();
      JsonObject offline = watcher.next("presence_update");
      assertFalse(offline.getBoolean("online"));
      assertNull(offline.getString("status"));
      Instant lastSeen = Instant.parse(offline.getString("last_seen"));
      assertEquals(lastSeen.toString(), statusOf(watcher, bob.id()).getJsonObject("last_seen").getString(bob.id()));
      WsClient back = users.watch(1, bob);
      JsonObject returned = watcher.next("presence_update");
      assertTrue(returned.getBoolean("online"));
      assertEquals("active", returned.getString("status"));
      JsonObject now = statusOf(watcher, bob.id());
      assertEquals("active", now.getJsonObject("statuses").getString(bob.id()));
      assertNull(now.getJsonObject("last_seen").getString(bob.id()), "an online user has no last_seen");
      back.close();
      watcher.close();
      eve.close();
    }
  }

  @Test
  void lastSeenIsRecordedWhenTheLastSocketCloses_orItsNodeDies_andOutlivesTheCluster() {
    Member alice;
    Member bob;
    Member carol;
    Instant bobSeen;
    Instant carolSeen;
    try (TestCluster cluster = TestCluster.start(3)) {
      UserProfileClients users = new UserProfileClients(cluster);
      alice = users.member();
      bob = users.member();
      carol = users.member();
      users.conversation(alice, bob);
      users.conversation(alice, carol);
      WsClient watcher = users.watch(0, alice).ignore("online_users");
      WsClient b = users.watch(1, bob);
      users.watch(2, carol);
      assertTrue(watcher.next("presence_update").getBoolean("online"));
      assertTrue(watcher.next("presence_update").getBoolean("online"));

      Instant beforeClose = Instant.now();
      b.close();
      JsonObject bobOffline = watcher.next("presence_update");
      assertEquals(bob.id(), bobOffline.getString("user_id"));
      bobSeen = Instant.parse(bobOffline.getString("last_seen"));
      assertFalse(bobSeen.isBefore(beforeClose.minusSeconds(1)), bobSeen + " vs " + beforeClose);

      // carol's node dies without a goodbye: the survivors record when she was last seen
      cluster.kill(2);
      JsonObject carolOffline = watcher.next("presence_update");
      assertEquals(carol.id(), carolOffline.getString("user_id"));
      assertFalse(carolOffline.getBoolean("online"));
      carolSeen = Instant.parse(carolOffline.getString("last_seen"));
      assertTrue(carolSeen.isAfter(bobSeen));
      watcher.close();
    }

    // a brand-new cluster (nothing left in Hazelcast) reads both from PostgreSQL
    try (TestCluster restarted = TestCluster.create(3, config -> {})) {
      restarted.addNode(EnumSet.allOf(chorus.node.NodeRole.class));
      WsClient ws = restarted.connect(0, "/ws/auth?token=" + restarted.token(alice.id()));
      JsonObject onConnect = ws.next("online_users");
      assertEquals(new JsonArray(), onConnect.getJsonArray("users"));
      assertEquals(bobSeen.toString(), onConnect.getJsonObject("last_seen").getString(bob.id()));
      assertEquals(carolSeen.toString(), onConnect.getJsonObject("last_seen").getString(carol.id()));
      JsonObject asked = statusOf(ws, bob.id());
      assertEquals(bobSeen.toString(), asked.getJsonObject("last_seen").getString(bob.id()));
      assertNull(asked.getJsonObject("last_seen").getString(carol.id()), "only the users asked about");
      assertNotNull(asked.getString("timestamp"));
      ws.close();
    }
  }
}
