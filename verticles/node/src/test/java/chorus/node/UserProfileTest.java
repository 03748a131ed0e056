package chorus.node;

import static chorus.node.support.UserProfileClients.join;
import static chorus.node.support.UserProfileClients.say;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.UserProfileClients;
import chorus.node.support.UserProfileClients.Member;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The user profile (/ws/auth?token=, seed 002), every frame of the document, through real
 * WebSocket clients on different nodes of a three-node cluster.
 */
class UserProfileTest {
  static TestCluster cluster;
  static UserProfileClients users;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(3, config -> config.put("typing", new JsonObject().put("timeoutMs", 1500)));
    users = new UserProfileClients(cluster);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void membersOnThreeNodesExchangeMessagesInOrder() {
    Member alice = users.member();
    Member bob = users.member();
    Member carol = users.member();
    String conversationId = users.conversation(alice, false, bob, carol);
    WsClient a = users.connect(0, alice);
    WsClient b = users.connect(1, bob);
    WsClient c = users.connect(2, carol);
    join(a, conversationId);
    join(b, conversationId);
    join(c, conversationId);

    say(b, conversationId, "hello from bob");
    for (WsClient ws : List.of(a, b, c)) {
      JsonObject frame = ws.next("new_message");
      assertEquals(conversationId, frame.getString("conversation_id"));
      JsonObject message = frame.getJsonObject("message");
      assertEquals(bob.id(), message.getString("sender_id"));
      assertEquals("hello from bob", message.getString("content"));
      assertFalse(message.getBoolean("is_ai"));
      assertEquals(1L, message.getLong("seq"));
      Instant.parse(message.getString("timestamp"));
      Instant.parse(frame.getString("timestamp"));
    }
    // concurrent writers on three nodes: everyone sees one order
    for (int i = 0; i < 10; i++) {
      say(a, conversationId, "a" + i);
      say(b, conversationId, "b" + i);
      say(c, conversationId, "c" + i);
    }
    List<List<Long>> seen = new ArrayList<>();
    for (WsClient ws : List.of(a, b, c)) {
      List<Long> seqs = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        seqs.add(ws.next("new_message").getJsonObject("message").getLong("seq"));
      }
      seen.add(seqs);
    }
    for (List<Long> seqs : seen) {
      for (int i = 0; i < 30; i++) {
        assertEquals(i + 2L, seqs.get(i));
      }
    }
    List.of(a, b, c).forEach(WsClient::close);
  }

  @Test
  void aPersonaAnswersWhenAsked() {
    Member alice = users.member();
    String conversationId = users.conversation(alice, false);
    String persona = cluster.post(0, "/api/v1/bots", alice.token(),
        new JsonObject().put("name", "Sage").put("personality", "You are a wise sage.")).body().getString("id");
    WsClient a = users.connect(0, alice);
    join(a, conversationId);
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("content", "any advice?").put("persona_id", persona));
    assertFalse(a.next("new_message").getJsonObject("message").getBoolean("is_ai"));
    JsonObject reply = a.next("new_message").getJsonObject("message");
    assertTrue(reply.getBoolean("is_ai"));
    assertEquals(persona, reply.getString("sender_id"));
    assertTrue(reply.getString("content").startsWith("Sage here."), reply.getString("content"));

    // a persona that is someone else's private bot is refused, and nothing is stored
    Member mallory = users.member();
    String private_ = cluster.post(0, "/api/v1/bots", mallory.token(), new JsonObject().put("name", "Secret")).body().getString("id");
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("content", "hi").put("persona_id", private_));
    assertEquals("PERSONA_NOT_FOUND", a.next("error").getString("code"));
    a.expectSilence(Duration.ofMillis(300));
    a.close();
  }

  @Test
  void resumeAfterLastSeqOnAnotherNodeHasNoGapAndNoDuplicate() {
    Member alice = users.member();
    Member bob = users.member();
    String conversationId = users.conversation(alice, false, bob);
    WsClient writer = users.connect(0, alice);
    join(writer, conversationId);
    for (int i = 1; i <= 5; i++) {
      say(writer, conversationId, "m" + i);
      writer.next("new_message");
    }
    // bob had seen up to seq 2, reconnects to node 2 and resumes while alice keeps writing
    WsClient reader = users.connect(2, bob);
    reader.send(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId).put("last_seq", 2));
    assertEquals(5L, reader.next("conversation_joined").getLong("last_seq"));
    for (int i = 6; i <= 8; i++) {
      say(writer, conversationId, "m" + i);
    }
    for (long seq = 3; seq <= 8; seq++) {
      assertEquals(seq, reader.next("new_message").getJsonObject("message").getLong("seq"));
    }
    reader.expectSilence(Duration.ofMillis(300));
    writer.close();
    reader.close();
  }

  @Test
  void typingReachesOtherMembersCoalescedAndExpires() {
    Member alice = users.member();
    Member bob = users.member();
    String conversationId = users.conversation(alice, false, bob);
    WsClient a = users.connect(0, alice);
    WsClient b = users.connect(1, bob);
    join(a, conversationId);
    join(b, conversationId);
    awaitTypingPath(a, b, conversationId);

    for (int i = 0; i < 20; i++) {
      a.send(new JsonObject().put("type", "typing_start").put("conversation_id", conversationId));
    }
    JsonObject typing = b.next("typing_indicator");
    assertEquals(alice.id(), typing.getString("user_id"));
    assertTrue(typing.getBoolean("is_typing"));
    assertEquals(conversationId, typing.getString("conversation_id"));
    // 20 starts became one event; after 1.5 s without a start it stops by itself
    JsonObject stopped = b.next("typing_indicator");
    assertFalse(stopped.getBoolean("is_typing"));
    a.expectSilence(Duration.ofMillis(200)); // never echoed to the typist

    a.send(new JsonObject().put("type", "typing_start").put("conversation_id", conversationId));
    assertTrue(b.next("typing_indicator").getBoolean("is_typing"));
    a.send(new JsonObject().put("type", "typing_stop").put("conversation_id", conversationId));
    assertFalse(b.next("typing_indicator").getBoolean("is_typing"));

    // closing the typing socket stops its indicator
    a.send(new JsonObject().put("type", "typing_start").put("conversation_id", conversationId));
    assertTrue(b.next("typing_indicator").getBoolean("is_typing"));
    a.close();
    assertFalse(b.next("typing_indicator").getBoolean("is_typing"));
    b.close();
  }

  /**
   * Typing is never stored, so an indicator published before the typist's node has learned
   * (through Hazelcast) that the other node now listens is lost, as the guarantees say. Waits
   * until the path works, so what follows tests coalescing and expiry, not that race.
   */
  private static void awaitTypingPath(WsClient from, WsClient to, String conversationId) {
    Await.until("typing reaches the other node", Duration.ofSeconds(10), () -> {
      // a stop first: starts in a row are coalesced into one, so a lost first start would
      // otherwise never be sent again
      from.send(new JsonObject().put("type", "typing_stop").put("conversation_id", conversationId));
      from.send(new JsonObject().put("type", "typing_start").put("conversation_id", conversationId));
      for (JsonObject frame = to.poll(Duration.ofMillis(300)); frame != null; frame = to.poll(Duration.ofMillis(300))) {
        if ("typing_indicator".equals(frame.getString("type")) && frame.getBoolean("is_typing")) {
          return true;
        }
      }
      return false;
    });
    from.send(new JsonObject().put("type", "typing_stop").put("conversation_id", conversationId));
    while (to.next("typing_indicator").getBoolean("is_typing")) {
      // an echo of a later start of the warm-up, before its stop
    }
  }

  @Test
  void presenceUpdatesOncePerChangeAndOnlineStatus() {
    Member alice = users.member();
    Member bob = users.member();
    Member stranger = users.member();
    String conversationId = users.conversation(alice, false, bob);
    WsClient watcher = users.watch(0, alice);

    WsClient phone = users.connect(1, bob);
    JsonObject online = watcher.next("presence_update");
    assertEquals(bob.id(), online.getString("user_id"));
    assertTrue(online.getBoolean("online"));
    // a second device of bob: no second update
    WsClient laptop = users.connect(2, bob);
    watcher.expectSilence(Duration.ofMillis(500));

    watcher.send(new JsonObject().put("type", "get_online_status").put("user_ids", new JsonArray().add(bob.id()).add(stranger.id()).add(alice.id())));
    JsonArray users = watcher.next("online_users").getJsonArray("users");
    assertEquals(new JsonArray().add(alice.id()).add(bob.id()).stream().sorted().toList(), users.stream().sorted().toList());

    // a new socket of alice is told who is online among those she shares a conversation with
    WsClient second = cluster.connect(2, "/ws/auth?token=" + alice.token());
    assertEquals(new JsonArray().add(bob.id()), second.next("online_users").getJsonArray("users"));

    phone.close();
    watcher.expectSilence(Duration.ofMillis(500));
    laptop.close();
    JsonObject offline = watcher.next("presence_update");
    assertEquals(bob.id(), offline.getString("user_id"));
    assertFalse(offline.getBoolean("online"));
    second.next("presence_update");
    watcher.close();
    second.close();
    assertTrue(conversationId.length() > 0);
  }

  @Test
  void membershipIsCheckedAndRemovalCutsOffALiveSubscriberOnAnotherNode() {
    Member alice = users.member();
    Member bob = users.member();
    Member eve = users.member();
    String conversationId = users.conversation(alice, false, bob);
    WsClient a = users.connect(0, alice);
    WsClient b = users.connect(2, bob);
    WsClient e = users.connect(1, eve);
    join(a, conversationId);
    join(b, conversationId);

    // not a member: cannot join, send or type
    e.send(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId));
    assertEquals("NOT_FOUND", e.next("error").getString("code"));
    say(e, conversationId, "let me in");
    assertEquals("NOT_JOINED", e.next("error").getString("code"));
    e.send(new JsonObject().put("type", "typing_start").put("conversation_id", conversationId));
    assertEquals("NOT_JOINED", e.next("error").getString("code"));
    // only the owner manages members
    assertEquals(404, cluster.post(0, "/api/v1/conversations/" + conversationId + "/members", bob.token(), new JsonObject().put("user_id", eve.id())).status());

    assertEquals(204, cluster.request(0, io.vertx.core.http.HttpMethod.DELETE,
        "/api/v1/conversations/" + conversationId + "/members/" + bob.id(), alice.token(), null).status());
    JsonObject removed = b.next("error");
    assertEquals("REMOVED_FROM_CONVERSATION", removed.getString("code"));
    assertEquals(conversationId, removed.getString("conversation_id"));
    say(a, conversationId, "bob is gone");
    a.next("new_message");
    b.expectSilence(Duration.ofMillis(700));
    say(b, conversationId, "still here?");
    assertEquals("NOT_JOINED", b.next("error").getString("code"));
    b.send(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId));
    assertEquals("NOT_FOUND", b.next("error").getString("code"));
    assertEquals(404, cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages", bob.token()).status());
    List.of(a, b, e).forEach(WsClient::close);
  }

  @Test
  void badFramesGetErrorsWithTimestampsAndTheSocketStaysOpen() {
    Member alice = users.member();
    String conversationId = users.conversation(alice, false);
    WsClient a = users.connect(0, alice);
    a.sendText("nope");
    assertEquals("INVALID_JSON", a.next("error").getString("code"));
    a.send(new JsonObject().put("type", "dance"));
    JsonObject unknown = a.next("error");
    assertEquals("UNKNOWN_TYPE", unknown.getString("code"));
    Instant.parse(unknown.getString("timestamp"));
    a.send(new JsonObject().put("type", "join_conversation"));
    assertEquals("INVALID_MESSAGE", a.next("error").getString("code"));
    a.send(new JsonObject().put("type", "join_conversation").put("conversation_id", UUID.randomUUID().toString()));
    assertEquals("NOT_FOUND", a.next("error").getString("code"));
    join(a, conversationId);
    say(a, conversationId, " ");
    assertEquals("INVALID_MESSAGE", a.next("error").getString("code"));
    say(a, conversationId, "x".repeat(5001));
    assertEquals("MESSAGE_TOO_LONG", a.next("error").getString("code"));
    a.send(new JsonObject().put("type", "get_online_status").put("user_ids", "everyone"));
    assertEquals("INVALID_MESSAGE", a.next("error").getString("code"));
    say(a, conversationId, "fine");
    assertEquals("fine", a.next("new_message").getJsonObject("message").getString("content"));
    a.send(new JsonObject().put("type", "leave_conversation").put("conversation_id", conversationId));
    a.next("conversation_left");
    say(a, conversationId, "after leaving");
    assertEquals("NOT_JOINED", a.next("error").getString("code"));
    a.close();
  }

  @Test
  void readReceiptsMoveForwardOnlyAndReachTheOtherMembers() {
    Member alice = users.member();
    Member bob = users.member();
    String conversationId = users.conversation(alice, false, bob);
    WsClient a = users.connect(0, alice);
    WsClient b = users.connect(2, bob);
    join(a, conversationId);
    join(b, conversationId);
    for (int i = 1; i <= 3; i++) {
      say(a, conversationId, "m" + i);
      a.next("new_message");
      b.next("new_message");
    }
    b.send(new JsonObject().put("type", "mark_read").put("conversation_id", conversationId).put("seq", 2));
    for (WsClient ws : List.of(a, b)) {
      JsonObject receipt = ws.next("read_receipt");
      assertEquals(bob.id(), receipt.getString("user_id"));
      assertEquals(2L, receipt.getLong("seq"));
      assertEquals(conversationId, receipt.getString("conversation_id"));
    }
    // backwards changes nothing; past the end is capped at the last message
    b.send(new JsonObject().put("type", "mark_read").put("conversation_id", conversationId).put("seq", 1));
    a.expectSilence(Duration.ofMillis(400));
    b.send(new JsonObject().put("type", "mark_read").put("conversation_id", conversationId).put("seq", 99));
    assertEquals(3L, a.next("read_receipt").getLong("seq"));
    // a stranger cannot
    WsClient e = users.connect(1, users.member());
    e.send(new JsonObject().put("type", "mark_read").put("conversation_id", conversationId).put("seq", 1));
    assertEquals("NOT_FOUND", e.next("error").getString("code"));
    List.of(a, b, e).forEach(WsClient::close);
  }

  @Test
  void reactionsAreAddedOnceRemovedAndSeenByEveryMember() {
    Member alice = users.member();
    Member bob = users.member();
    String conversationId = users.conversation(alice, false, bob);
    String other = users.conversation(alice, false);
    WsClient a = users.connect(1, alice);
    WsClient b = users.connect(2, bob);
    join(a, conversationId);
    join(b, conversationId);
    say(a, conversationId, "react to me");
    String messageId = a.next("new_message").getJsonObject("message").getString("id");
    b.next("new_message");

    JsonObject add = new JsonObject().put("type", "add_reaction").put("conversation_id", conversationId).put("message_id", messageId).put("emoji", "👍");
    b.send(add);
    for (WsClient ws : List.of(a, b)) {
      JsonObject update = ws.next("reaction_update");
      assertEquals(messageId, update.getString("message_id"));
      assertEquals(bob.id(), update.getString("user_id"));
      assertEquals("👍", update.getString("emoji"));
      assertTrue(update.getBoolean("added"));
    }
    b.send(add);
    a.expectSilence(Duration.ofMillis(400));
    b.send(add.copy().put("type", "remove_reaction"));
    assertFalse(a.next("reaction_update").getBoolean("added"));
    assertFalse(b.next("reaction_update").getBoolean("added"));
    // the message of another conversation cannot be reached through this one
    WsClient a2 = users.connect(0, alice);
    join(a2, other);
    say(a2, other, "elsewhere");
    String foreign = a2.next("new_message").getJsonObject("message").getString("id");
    b.send(add.copy().put("message_id", foreign));
    assertEquals("NOT_FOUND", b.next("error").getString("code"));
    b.send(add.copy().put("emoji", ""));
    assertEquals("INVALID_MESSAGE", b.next("error").getString("code"));
    List.of(a, b, a2).forEach(WsClient::close);
  }

  @Test
  void theInsecureUserIdInTheUrlIsNotOffered() {
    Member alice = users.member();
    TestCluster.Refusal noToken = cluster.refusal(0, "/ws/auth");
    assertEquals("AUTH_REQUIRED", noToken.error().getString("code"));
    assertEquals(4001, noToken.closeCode());
    assertEquals(404, cluster.get(0, "/ws/" + alice.id(), null).status());
  }
}
