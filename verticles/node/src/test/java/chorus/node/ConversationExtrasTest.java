package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The conversation profile's opt-in extras (seed 000's "future enhancements"): typing
 * indicators (?typing=true), presence (?presence=true) and history on connect
 * (?history=N), on a three-node cluster with sockets on different nodes. A socket that
 * opts into nothing sees only the document's frames.
 */
class ConversationExtrasTest {
  static final int HISTORY_MAX = 5;
  static TestCluster cluster;
  static UserProfileClients users;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(3, config -> {
      config.put("typing", new JsonObject().put("timeoutMs", 1500));
      config.getJsonObject("limits").put("connectHistoryMax", HISTORY_MAX);
    });
    users = new UserProfileClients(cluster);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static String uri(String conversationId, Member member, String options) {
    return "/api/v1/conversations/" + conversationId + "/ws?token=" + member.token() + (options.isEmpty() ? "" : "&" + options);
  }

  /** Opens a conversation socket with these options and reads its connection_ack. */
  static WsClient open(int node, String conversationId, Member member, String options) {
    WsClient ws = cluster.connect(node, uri(conversationId, member, options));
    ws.next("connection_ack");
    return ws;
  }

  static JsonObject typingStart() {
    return new JsonObject().put("type", "typing_start");
  }

  static JsonObject typingStop() {
    return new JsonObject().put("type", "typing_stop");
  }

  /** Frames until none arrives for 300 ms. */
  static List<JsonObject> drain(WsClient ws) {
    List<JsonObject> frames = new ArrayList<>();
    JsonObject frame;
    while ((frame = ws.poll(Duration.ofMillis(300))) != null) {
      frames.add(frame);
    }
    return frames;
  }

  /**
   * Typing is never stored, so an indicator published before the typist's node has learned
   * (through Hazelcast) that another node now listens is lost, as the guarantees say. Waits
   * until the typist's indicators reach every receiver, then leaves everyone quiet.
   */
  static void awaitTypingPath(WsClient typist, WsClient... receivers) {
    for (WsClient receiver : receivers) {
      Await.until("typing reaches the receiver", Duration.ofSeconds(10), () -> {
        // a start and a stop each time: a start while typing is coalesced into nothing. Done
        // at a start, whose stop is then still to come: a stop alone (its start published
        // before the path was complete) would leave nothing for the check below
        typist.send(typingStart());
        typist.send(typingStop());
        JsonObject frame;
        while ((frame = receiver.poll(Duration.ofMillis(300))) != null) {
          if ("typing_indicator".equals(frame.getString("type")) && frame.getBoolean("is_typing")) {
            return true;
          }
        }
        return false;
      });
    }
    typist.send(typingStop());
    for (WsClient receiver : receivers) {
      List<JsonObject> frames = drain(receiver);
      assertFalse(frames.isEmpty() || frames.get(frames.size() - 1).getBoolean("is_typing"), () -> "not stopped: " + frames);
    }
  }

  static JsonObject say(WsClient ws, String content) {
    ws.userMessage(content, null);
    return ws.next("message_received").getJsonObject("message");
  }

  // ---- typing --------------------------------------------------------------------------

  @Test
  void typingReachesOtherMembersAndOtherDevicesOnOtherNodesButNeverTheTypist() {
    Member alice = users.member();
    Member bob = users.member();
    String conversationId = users.conversation(alice, bob);
    WsClient a = open(0, conversationId, alice, "typing=true");
    WsClient b = open(1, conversationId, bob, "typing=true");
    WsClient aOther = open(2, conversationId, alice, "typing=true");
    awaitTypingPath(a, b, aOther);
    a.expectSilence(Duration.ofMillis(100));

    for (int i = 0; i < 10; i++) {
      a.send(typingStart());
    }
    for (WsClient receiver : List.of(b, aOther)) {
      JsonObject typing = receiver.next("typing_indicator");
      assertEquals(alice.id(), typing.getString("user_id"));
      assertEquals(conversationId, typing.getString("conversation_id"));
      assertTrue(typing.getBoolean("is_typing"));
      Instant.parse(typing.getString("timestamp"));
    }
    // ten starts were one event; a stop ends it everywhere
    a.send(typingStop());
    assertFalse(b.next("typing_indicator").getBoolean("is_typing"));
    assertFalse(aOther.next("typing_indicator").getBoolean("is_typing"));
    a.expectSilence(Duration.ofMillis(200)); // never echoed to the typist
    aOther.close();

    // bob types back; without a stop it expires by itself (typing.timeoutMs)
    awaitTypingPath(b, a);
    b.send(typingStart());
    JsonObject started = a.next("typing_indicator");
    assertEquals(bob.id(), started.getString("user_id"));
    assertTrue(started.getBoolean("is_typing"));
    assertFalse(a.next("typing_indicator").getBoolean("is_typing"));

    // a message stops the sender's indicator, and closing the socket stops it too
    a.send(typingStart());
    assertTrue(b.next("typing_indicator").getBoolean("is_typing"));
    a.userMessage("done typing", null);
    // the stop and the message travel different paths: their order is not promised
    List<JsonObject> frames = List.of(b.next(), b.next());
    assertTrue(frames.stream().anyMatch(f -> "typing_indicator".equals(f.getString("type")) && !f.getBoolean("is_typing")), frames::toString);
    assertTrue(frames.stream().anyMatch(f -> "message_received".equals(f.getString("type"))), frames::toString);
    a.next("message_received");
    a.send(typingStart());
    assertTrue(b.next("typing_indicator").getBoolean("is_typing"));
    a.close();
    assertFalse(b.next("typing_indicator").getBoolean("is_typing"));
    b.close();
  }

  @Test
  void aSocketThatDidNotOptInSeesOnlyTheDocumentsFrames() {
    Member alice = users.member();
    Member bob = users.member();
    String conversationId = users.conversation(alice, bob);
    WsClient watcher = open(1, conversationId, bob, "typing=true");
    WsClient plain = open(2, conversationId, bob, "");
    WsClient a = open(0, conversationId, alice, "");
    // the watcher (same node as nothing else) proves the indicators are flowing
    awaitTypingPath(a, watcher);
    a.send(typingStart());
    assertTrue(watcher.next("typing_indicator").getBoolean("is_typing"));
    a.send(typingStop());
    assertFalse(watcher.next("typing_indicator").getBoolean("is_typing"));
    // a client that types without having opted in gets no error for it: the others see it
    awaitTypingPath(plain, watcher);
    plain.send(typingStart());
    JsonObject other = watcher.next("typing_indicator");
    assertEquals(bob.id(), other.getString("user_id"));
    assertTrue(other.getBoolean("is_typing"));
    plain.send(typingStop());
    assertFalse(watcher.next("typing_indicator").getBoolean("is_typing"));
    a.userMessage("hello", null);
    assertEquals("hello", watcher.next("message_received").getJsonObject("message").getString("content"));
    // the plain socket's very next frame is the message: no typing, no error, nothing new
    assertEquals("hello", plain.next("message_received").getJsonObject("message").getString("content"));
    plain.expectSilence(Duration.ofMillis(300));
    List.of(a, plain, watcher).forEach(WsClient::close);
  }

  @Test
  void typingFlowsBetweenTheConversationProfileAndTheUserProfile() {
    Member alice = users.member();
    Member bob = users.member();
    String conversationId = users.conversation(alice, bob);
    WsClient a = open(0, conversationId, alice, "typing=true");
    WsClient b = cluster.connect(1, "/ws/auth?token=" + bob.token()).ignore("presence_update", "online_users");
    b.send(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId));
    b.next("conversation_joined");
    awaitTypingPath(a, b);

    a.send(typingStart());
    JsonObject typing = b.next("typing_indicator");
    assertEquals(alice.id(), typing.getString("user_id"));
    assertEquals(conversationId, typing.getString("conversation_id"));
    assertTrue(typing.getBoolean("is_typing"));
    a.send(typingStop());
    assertFalse(b.next("typing_indicator").getBoolean("is_typing"));

    // and back: the user profile's typing reaches the conversation profile
    b.send(new JsonObject().put("type", "typing_start").put("conversation_id", conversationId));
    JsonObject back = a.next("typing_indicator");
    assertEquals(bob.id(), back.getString("user_id"));
    assertTrue(back.getBoolean("is_typing"));
    b.send(new JsonObject().put("type", "typing_stop").put("conversation_id", conversationId));
    assertFalse(a.next("typing_indicator").getBoolean("is_typing"));
    a.close();
    b.close();
  }

  // ---- presence -----------------------------------------------------------------------

  static List<String> strings(JsonArray array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add((String) value));
    return values;
  }

  @Test
  void presenceOptInShowsTheConversationsMembersComingAndGoing() {
    Member alice = users.member();
    Member bob = users.member();
    Member carol = users.member();
    String conversationId = users.conversation(alice, bob);
    String elsewhere = users.conversation(alice, carol); // carol is in alice's audience, but not a member here
    // bob is online (a user-profile device) but not viewing the conversation
    WsClient bobDevice = cluster.connect(2, "/ws/auth?token=" + bob.token());
    bobDevice.next("online_users");

    WsClient a = open(0, conversationId, alice, "presence=true");
    JsonObject snapshot = a.next("online_users");
    assertEquals(conversationId, snapshot.getString("conversation_id"));
    assertEquals(List.of(alice.id(), bob.id()).stream().sorted().toList(), strings(snapshot.getJsonArray("users")));
    assertEquals(List.of(alice.id()), strings(snapshot.getJsonArray("viewers")));
    Instant.parse(snapshot.getString("timestamp"));

    // carol comes online: not a member of this conversation, so nothing here
    WsClient c = open(1, elsewhere, carol, "");
    // bob's last device goes: offline
    bobDevice.close();
    JsonObject offline = a.next("presence_update");
    assertEquals(bob.id(), offline.getString("user_id"));
    assertEquals(conversationId, offline.getString("conversation_id"));
    assertFalse(offline.getBoolean("online"));
    // bob connects to the conversation on another node: online, and a viewer now
    WsClient b = open(1, conversationId, bob, "");
    JsonObject online = a.next("presence_update");
    assertEquals(bob.id(), online.getString("user_id"));
    assertTrue(online.getBoolean("online"));
    WsClient second = open(2, conversationId, alice, "presence=true");
    assertEquals(List.of(alice.id(), bob.id()).stream().sorted().toList(), strings(second.next("online_users").getJsonArray("viewers")));
    // bob's socket never opted in: it saw nothing of all this
    b.expectSilence(Duration.ofMillis(200));
    b.close();
    assertFalse(a.next("presence_update").getBoolean("online"));
    assertFalse(second.next("presence_update").getBoolean("online"));
    // carol's coming and going never showed; alice's own second device is not a presence change
    c.close();
    a.expectSilence(Duration.ofMillis(500));
    second.close();
    // a member added while the socket is open is followed from then on
    Member dave = users.member();
    assertEquals(201, cluster.post(0, "/api/v1/conversations/" + conversationId + "/members", alice.token(), new JsonObject().put("user_id", dave.id())).status());
    Await.until("the addition reached alice's node", Duration.ofSeconds(10), () -> {
      WsClient daveDevice = cluster.connect(1, "/ws/auth?token=" + dave.token());
      daveDevice.next("online_users");
      JsonObject frame = a.poll(Duration.ofMillis(500));
      daveDevice.close();
      if (frame == null) {
        return false;
      }
      assertEquals(dave.id(), frame.getString("user_id"));
      assertTrue(frame.getBoolean("online"));
      assertFalse(a.next("presence_update").getBoolean("online"));
      return true;
    });
    a.close();
  }

  // ---- history on connect --------------------------------------------------------------

  static List<Long> seqs(JsonArray messages) {
    List<Long> seqs = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      seqs.add(messages.getJsonObject(i).getLong("seq"));
    }
    return seqs;
  }

  @Test
  void historyOnConnectHoldsTheNewestMessagesOldestFirst() {
    Member alice = users.member();
    String empty = users.conversation(alice);
    WsClient first = open(1, empty, alice, "history=3");
    JsonObject none = first.next("history");
    assertEquals(0, none.getJsonArray("messages").size());
    assertFalse(none.getBoolean("has_more"));
    first.close();

    String conversationId = users.conversation(alice);
    WsClient writer = open(0, conversationId, alice, "");
    for (int i = 1; i <= 4; i++) {
      say(writer, "m" + i);
    }
    // fewer than the conversation holds: the newest, oldest first, and more exist
    WsClient three = open(1, conversationId, alice, "history=3");
    JsonObject history = three.next("history");
    assertEquals(conversationId, history.getString("conversation_id"));
    assertEquals(List.of(2L, 3L, 4L), seqs(history.getJsonArray("messages")));
    JsonObject newest = history.getJsonArray("messages").getJsonObject(2);
    assertEquals("m4", newest.getString("content"));
    assertEquals("user", newest.getString("role"));
    assertEquals(conversationId, newest.getString("conversation_id"));
    assertTrue(history.getBoolean("has_more"));
    // more than it holds: all of it, and nothing more
    WsClient all = open(2, conversationId, alice, "history=5");
    JsonObject whole = all.next("history");
    assertEquals(List.of(1L, 2L, 3L, 4L), seqs(whole.getJsonArray("messages")));
    assertFalse(whole.getBoolean("has_more"));
    // then the live stream, from the next message on
    say(writer, "m5");
    assertEquals(5L, three.next("message_received").getJsonObject("message").getLong("seq"));
    assertEquals(5L, all.next("message_received").getJsonObject("message").getLong("seq"));
    List.of(writer, three, all).forEach(WsClient::close);
  }

  @Test
  void historyIsCappedByConnectHistoryMax() {
    Member alice = users.member();
    String conversationId = users.conversation(alice);
    WsClient writer = open(0, conversationId, alice, "");
    for (int i = 1; i <= HISTORY_MAX + 3; i++) {
      say(writer, "m" + i);
    }
    WsClient reader = open(1, conversationId, alice, "history=1000");
    JsonObject history = reader.next("history");
    assertEquals(List.of(4L, 5L, 6L, 7L, 8L), seqs(history.getJsonArray("messages")));
    assertTrue(history.getBoolean("has_more"));
    writer.close();
    reader.close();
  }

  @Test
  void historyThenLiveStreamHasNoGapAndNoDuplicateWhileAnotherSocketWrites() {
    Member alice = users.member();
    Member bob = users.member();
    String conversationId = users.conversation(alice, bob);
    WsClient writer = open(0, conversationId, alice, "");
    int total = 40;
    for (int i = 1; i <= 10; i++) {
      say(writer, "m" + i);
    }
    // the writer keeps writing (acknowledgements not awaited) while bob connects on another node
    for (int i = 11; i <= 25; i++) {
      writer.userMessage("m" + i, null);
    }
    WsClient reader = cluster.connect(2, uri(conversationId, bob, "history=4"));
    for (int i = 26; i <= total; i++) {
      writer.userMessage("m" + i, null);
    }
    long ackSeq = reader.next("connection_ack").getLong("last_seq");
    JsonObject history = reader.next("history");
    List<Long> seen = new ArrayList<>(seqs(history.getJsonArray("messages")));
    assertEquals(4, seen.size());
    assertEquals(ackSeq, seen.get(3), "the history ends at the last_seq of the ack");
    while (seen.get(seen.size() - 1) < total) {
      seen.add(reader.next("message_received").getJsonObject("message").getLong("seq"));
    }
    for (int i = 1; i < seen.size(); i++) {
      assertEquals(seen.get(i - 1) + 1, seen.get(i), () -> "gap or duplicate: " + seen);
    }
    reader.expectSilence(Duration.ofMillis(300));
    writer.close();
    reader.close();
  }

  @Test
  void historyWithLastSeqEndsAtTheResumePointAndTheReplayFollows() {
    Member alice = users.member();
    String conversationId = users.conversation(alice);
    WsClient writer = open(0, conversationId, alice, "");
    for (int i = 1; i <= 8; i++) {
      say(writer, "m" + i);
    }
    WsClient reader = open(1, conversationId, alice, "last_seq=5&history=2");
    assertEquals(List.of(4L, 5L), seqs(reader.next("history").getJsonArray("messages")));
    for (long seq = 6; seq <= 8; seq++) {
      assertEquals(seq, reader.next("message_received").getJsonObject("message").getLong("seq"));
    }
    reader.expectSilence(Duration.ofMillis(300));
    writer.close();
    reader.close();
  }

  // ---- refusals ------------------------------------------------------------------------

  @Test
  void badOptionValuesAreRefusedLikeABadLastSeq() {
    Member alice = users.member();
    String conversationId = users.conversation(alice);
    for (String options : List.of("history=abc", "history=0", "history=-2", "history=1.5", "typing=yes", "typing=1", "presence=on")) {
      TestCluster.Refusal refusal = cluster.refusal(0, uri(conversationId, alice, options));
      assertEquals("INVALID_PARAMETER", refusal.error().getString("code"), options);
      assertNotEquals("", refusal.error().getString("message"));
      assertEquals(1008, refusal.closeCode(), options);
    }
    // and the explicit "false" is the same as not asking
    WsClient ws = open(0, conversationId, alice, "typing=false&presence=false");
    say(ws, "still works");
    ws.expectSilence(Duration.ofMillis(200));
    ws.close();
  }
}
