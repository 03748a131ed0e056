package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.TestCluster;
import chorus.node.support.TestCluster.HttpResult;
import chorus.node.support.UserProfileClients;
import chorus.node.support.UserProfileClients.Member;
import chorus.node.support.WsClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Conversation archiving (seed 002's future item): per member, by frame and by REST, with the listing. */
class ArchiveTest {
  static TestCluster cluster;
  static UserProfileClients users;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(2);
    users = new UserProfileClients(cluster);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static JsonObject frame(WsClient ws, String type, String conversationId) {
    ws.send(new JsonObject().put("type", type).put("conversation_id", conversationId));
    return ws.next();
  }

  static List<String> listed(int node, Member member, String archived) {
    HttpResult result = cluster.get(node, "/api/v1/conversations" + (archived == null ? "" : "?archived=" + archived), member.token());
    assertEquals(200, result.status(), result.body().encode());
    return result.body().getJsonArray("conversations").stream().map(c -> ((JsonObject) c).getString("id")).toList();
  }

  static HttpResult rest(int node, HttpMethod method, String conversationId, Member member) {
    return cluster.request(node, method, "/api/v1/conversations/" + conversationId + "/archive", member.token(), null);
  }

  @Test
  void archivingByFrameHidesItForThatMemberOnlyAndMessagesStillArrive() {
    Member alice = users.member();
    Member bob = users.member();
    String conversationId = users.conversation(alice, bob);
    WsClient a = users.connect(0, alice);
    WsClient b = users.connect(1, bob);
    assertFalse(frame(a, "join_conversation", conversationId).getBoolean("archived"));
    assertFalse(frame(b, "join_conversation", conversationId).getBoolean("archived"));

    JsonObject ack = frame(b, "archive_conversation", conversationId);
    assertEquals("conversation_archived", ack.getString("type"));
    assertEquals(conversationId, ack.getString("conversation_id"));
    assertTrue(ack.getBoolean("archived"));
    assertTrue(ack.getBoolean("changed"));
    Instant archivedAt = Instant.parse(ack.getString("archived_at"));
    // again: no change, the first time is kept
    JsonObject repeat = frame(b, "archive_conversation", conversationId);
    assertFalse(repeat.getBoolean("changed"));
    assertEquals(archivedAt.toString(), repeat.getString("archived_at"));

    assertTrue(listed(0, bob, "true").contains(conversationId));
    assertFalse(listed(0, bob, "false").contains(conversationId));
    assertFalse(listed(1, bob, null).contains(conversationId), "the default listing is the unarchived one");
    assertTrue(listed(1, bob, "all").contains(conversationId));
    // alice did not archive it
    assertTrue(listed(1, alice, "false").contains(conversationId));
    assertFalse(listed(1, alice, "true").contains(conversationId));

    // a new message: still delivered to bob's joined socket, and the conversation stays archived
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("content", "still there?"));
    assertEquals("still there?", b.next("new_message").getJsonObject("message").getString("content"));
    a.next("new_message");
    assertTrue(listed(0, bob, "true").contains(conversationId));

    // another device of bob sees it archived on join
    WsClient tablet = users.connect(0, bob);
    assertTrue(frame(tablet, "join_conversation", conversationId).getBoolean("archived"));

    JsonObject undone = frame(tablet, "unarchive_conversation", conversationId);
    assertEquals("conversation_unarchived", undone.getString("type"));
    assertFalse(undone.getBoolean("archived"));
    assertTrue(undone.getBoolean("changed"));
    assertNull(undone.getString("archived_at"));
    assertTrue(listed(1, bob, "false").contains(conversationId));
    // bob's first socket, joined all along on the other node, learns it too (the change travels on the conversation's topic)
    chorus.node.support.Await.until("the other device sees it unarchived", java.time.Duration.ofSeconds(5),
        () -> !frame(b, "join_conversation", conversationId).getBoolean("archived"));
    List.of(a, b, tablet).forEach(WsClient::close);
  }

  @Test
  void archivingByRestWithListingPagingAndErrors() {
    Member carol = users.member();
    Member stranger = users.member();
    String first = users.conversation(carol);
    String second = users.conversation(carol);
    String third = users.conversation(carol);

    HttpResult archived = rest(1, HttpMethod.POST, second, carol);
    assertEquals(200, archived.status());
    assertEquals(second, archived.body().getString("conversation_id"));
    assertTrue(archived.body().getBoolean("archived"));
    Instant.parse(archived.body().getString("archived_at"));
    assertEquals(List.of(second), listed(0, carol, "true"));
    assertEquals(List.of(third, first), listed(0, carol, "false"), "most recently active first");

    // paging over all three
    HttpResult page1 = cluster.get(0, "/api/v1/conversations?archived=all&limit=2", carol.token());
    assertEquals(2, page1.body().getJsonArray("conversations").size());
    assertTrue(page1.body().getBoolean("has_more"));
    HttpResult page2 = cluster.get(0, "/api/v1/conversations?archived=all&limit=2&offset=2", carol.token());
    assertEquals(1, page2.body().getJsonArray("conversations").size());
    assertFalse(page2.body().getBoolean("has_more"));
    JsonArray all = page1.body().getJsonArray("conversations").copy();
    page2.body().getJsonArray("conversations").forEach(all::add);
    JsonObject archivedEntry = all.stream().map(JsonObject.class::cast).filter(c -> c.getString("id").equals(second)).findFirst().orElseThrow();
    assertTrue(archivedEntry.getBoolean("archived"));
    assertEquals(archived.body().getString("archived_at"), archivedEntry.getString("archived_at"));

    HttpResult unarchived = rest(0, HttpMethod.DELETE, second, carol);
    assertEquals(200, unarchived.status());
    assertFalse(unarchived.body().getBoolean("archived"));
    assertEquals(List.of(), listed(0, carol, "true"));

    // not a member (or no such conversation): 404 with a JSON body, on both verbs and by frame
    for (HttpMethod method : List.of(HttpMethod.POST, HttpMethod.DELETE)) {
      HttpResult refused = rest(1, method, first, stranger);
      assertEquals(404, refused.status());
      assertEquals("NOT_FOUND", refused.body().getString("code"));
    }
    assertEquals(404, rest(0, HttpMethod.POST, "not-a-uuid", carol).status());
    assertEquals(401, cluster.request(0, HttpMethod.POST, "/api/v1/conversations/" + first + "/archive", null, null).status());
    assertEquals(List.of(), listed(0, stranger, "all"));
    WsClient eve = users.connect(1, stranger);
    JsonObject error = frame(eve, "archive_conversation", first);
    assertEquals("error", error.getString("type"));
    assertEquals("NOT_FOUND", error.getString("code"));
    assertTrue(listed(0, carol, "false").contains(first), "nothing changed for the owner");

    HttpResult badFilter = cluster.get(0, "/api/v1/conversations?archived=maybe", carol.token());
    assertEquals(400, badFilter.status());
    assertEquals("INVALID_PARAMETER", badFilter.body().getString("code"));
    eve.close();
  }
}
