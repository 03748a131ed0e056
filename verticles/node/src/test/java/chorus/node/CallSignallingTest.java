package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import chorus.node.support.TestCluster;
import chorus.node.support.UserProfileClients;
import chorus.node.support.UserProfileClients.Member;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Voice/video call signalling and screen sharing (seed 002's future items): WebRTC frames
 * relayed between members of a conversation on different nodes, never stored, never echoed.
 */
class CallSignallingTest {
  static final int MAX_SDP_BYTES = 4096;
  static TestCluster cluster;
  static UserProfileClients users;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(3, config -> config.put("calls", new JsonObject().put("maxSdpBytes", MAX_SDP_BYTES).put("maxCandidateBytes", 512)));
    users = new UserProfileClients(cluster);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static WsClient joined(int node, Member member, String conversationId) {
    WsClient ws = users.connect(node, member);
    UserProfileClients.join(ws, conversationId);
    return ws;
  }


  static JsonObject signal(String type, String conversationId, String callId) {
    JsonObject frame = new JsonObject().put("type", type).put("conversation_id", conversationId);
    return callId == null ? frame : frame.put("call_id", callId);
  }

  @Test
  void aCallIsSignalledAcrossNodesToTheRightMembersOnly() {
    Member alice = users.member();
    Member bob = users.member();
    Member carol = users.member();
    String conversationId = cluster.newConversation(alice.token(), "Host", "A host.", "survey");
    for (Member other : List.of(bob, carol)) {
      assertEquals(201, cluster.post(0, "/api/v1/conversations/" + conversationId + "/members", alice.token(),
          new JsonObject().put("user_id", other.id())).status());
    }
    WsClient a = joined(0, alice, conversationId);
    WsClient aSecond = joined(2, alice, conversationId);
    WsClient b = joined(1, bob, conversationId);
    WsClient c = joined(2, carol, conversationId);

    // invite: the server makes the call id; every other member's socket rings, not the caller's
    a.send(signal("call_invite", conversationId, null).put("media", "video"));
    JsonObject sent = a.next("call_invite_sent");
    String callId = sent.getString("call_id");
    UUID.fromString(callId);
    assertEquals("video", sent.getString("media"));
    for (WsClient ws : List.of(b, c, aSecond)) {
      JsonObject invite = ws.next("call_invite");
      assertEquals(callId, invite.getString("call_id"));
      assertEquals(conversationId, invite.getString("conversation_id"));
      assertEquals(alice.id(), invite.getString("from_user_id"));
      assertEquals("video", invite.getString("media"));
      Instant.parse(invite.getString("timestamp"));
    }

    // bob accepts and negotiates with alice only: carol sees none of it
    b.send(signal("call_accept", conversationId, callId).put("to_user_id", alice.id()));
    String sdp = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    a.send(signal("call_offer", conversationId, callId).put("to_user_id", bob.id()).put("sdp", sdp));
    b.send(signal("call_answer", conversationId, callId).put("to_user_id", alice.id()).put("sdp", sdp.replace("4611", "9999")));
    b.send(signal("ice_candidate", conversationId, callId).put("to_user_id", alice.id())
        .put("candidate", "candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host").put("sdp_mid", "0").put("sdp_m_line_index", 0));
    JsonObject accept = a.next("call_accept");
    assertEquals(bob.id(), accept.getString("from_user_id"));
    assertEquals(alice.id(), accept.getString("to_user_id"));
    JsonObject offer = b.next("call_offer");
    assertEquals(sdp, offer.getString("sdp"));
    assertEquals(callId, offer.getString("call_id"));
    JsonObject answer = a.next("call_answer");
    assertEquals(sdp.replace("4611", "9999"), answer.getString("sdp"));
    JsonObject candidate = a.next("ice_candidate");
    assertEquals("candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host", candidate.getString("candidate"));
    assertEquals("0", candidate.getString("sdp_mid"));
    assertEquals(0, candidate.getInteger("sdp_m_line_index"));
    // alice's other device gets what was addressed to alice
    assertEquals("call_accept", aSecond.next().getString("type"));
    assertEquals("call_answer", aSecond.next().getString("type"));
    assertEquals("ice_candidate", aSecond.next().getString("type"));

    // screen sharing and hanging up go to everyone in the conversation but the sender
    a.send(signal("screen_share_start", conversationId, callId));
    a.send(signal("screen_share_stop", conversationId, callId));
    for (WsClient ws : List.of(b, c)) {
      assertEquals("screen_share_start", ws.next().getString("type"));
      assertEquals("screen_share_stop", ws.next().getString("type"));
    }
    b.send(signal("call_end", conversationId, callId).put("reason", "bye"));
    for (WsClient ws : List.of(a, c)) {
      JsonObject end = ws.next("call_end");
      assertEquals("bye", end.getString("reason"));
      assertEquals(bob.id(), end.getString("from_user_id"));
    }
    // nothing was echoed to a sender, and carol got nothing addressed to others
    c.expectSilence(Duration.ofMillis(300));
    a.expectSilence(Duration.ofMillis(100));
    b.expectSilence(Duration.ofMillis(100));
    // never stored
    JsonObject history = cluster.get(1, "/api/v1/conversations/" + conversationId + "/messages?after_seq=0", alice.token()).body();
    assertEquals(0, history.getJsonArray("messages").size());
    List.of(a, aSecond, b, c).forEach(WsClient::close);
  }

  @Test
  void nonMembersOversizePayloadsAndBadFramesAreRefused() {
    Member alice = users.member();
    Member bob = users.member();
    Member eve = users.member();
    String conversationId = cluster.newConversation(alice.token(), "Host", "A host.", "survey");
    assertEquals(201, cluster.post(0, "/api/v1/conversations/" + conversationId + "/members", alice.token(),
        new JsonObject().put("user_id", bob.id())).status());
    WsClient a = joined(0, alice, conversationId);
    WsClient b = joined(1, bob, conversationId);
    WsClient e = cluster.connect(2, "/ws/auth?token=" + eve.token()).ignore("presence_update");
    e.next("online_users");

    // a non-member can neither invite nor signal into the conversation
    e.send(signal("call_invite", conversationId, null).put("media", "audio"));
    assertEquals("NOT_FOUND", e.next("error").getString("code"));
    String forged = UUID.randomUUID().toString();
    e.send(signal("call_offer", conversationId, forged).put("sdp", "v=0"));
    assertEquals("NOT_FOUND", e.next("error").getString("code"));

    a.send(signal("call_invite", conversationId, null).put("media", "audio"));
    String callId = a.next("call_invite_sent").getString("call_id");
    assertEquals(callId, b.next("call_invite").getString("call_id"));

    // targeting someone who is not a member
    a.send(signal("call_offer", conversationId, callId).put("to_user_id", eve.id()).put("sdp", "v=0"));
    JsonObject notMember = a.next("error");
    assertEquals("NOT_A_MEMBER", notMember.getString("code"));
    assertEquals(conversationId, notMember.getString("conversation_id"));

    // payloads over the configured limits
    a.send(signal("call_offer", conversationId, callId).put("sdp", "a".repeat(MAX_SDP_BYTES + 1)));
    assertEquals("PAYLOAD_TOO_LARGE", a.next("error").getString("code"));
    a.send(signal("ice_candidate", conversationId, callId).put("candidate", "c".repeat(513)));
    assertEquals("PAYLOAD_TOO_LARGE", a.next("error").getString("code"));
    // exactly at the limit is fine
    a.send(signal("call_offer", conversationId, callId).put("sdp", "a".repeat(MAX_SDP_BYTES)));
    assertEquals(MAX_SDP_BYTES, b.next("call_offer").getString("sdp").length());

    // malformed frames
    a.send(signal("call_invite", conversationId, null).put("media", "hologram"));
    assertEquals("INVALID_MESSAGE", a.next("error").getString("code"));
    a.send(signal("call_answer", conversationId, "not-a-call").put("sdp", "v=0"));
    assertEquals("INVALID_MESSAGE", a.next("error").getString("code"));
    a.send(signal("call_answer", conversationId, callId));
    assertEquals("INVALID_MESSAGE", a.next("error").getString("code"));

    // a member's socket that has not joined the conversation is told to join first
    WsClient idle = cluster.connect(1, "/ws/auth?token=" + bob.token()).ignore("presence_update");
    idle.next("online_users");
    idle.send(signal("call_end", conversationId, callId));
    assertEquals("NOT_JOINED", idle.next("error").getString("code"));

    // none of the refused frames reached bob
    b.expectSilence(Duration.ofMillis(300));
    assertNull(e.poll(Duration.ofMillis(100)));
    assertFalse(a.isClosed());
    List.of(a, b, e, idle).forEach(WsClient::close);
  }
}
