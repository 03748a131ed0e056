package chorus.node.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * The user-profile set-up the integration tests share: users with tokens, conversations
 * with members, user sockets (/ws/auth) and their joins and sends, on one {@link TestCluster}.
 */
public final class UserProfileClients {
  /** A user and a token for it. */
  public record Member(String id, String token) {}

  private final TestCluster cluster;

  public UserProfileClients(TestCluster cluster) {
    this.cluster = cluster;
  }

  /** A new user with a token. */
  public Member member() {
    String id = TestCluster.newUserId();
    return new Member(id, cluster.token(id));
  }

  /** A conversation with a survey bot (it never answers) owned by {@code owner}, the others added as members. */
  public String conversation(Member owner, Member... others) {
    return conversation(owner, false, others);
  }

  /** A conversation owned by {@code owner} with the others added as members; its bot is a survey bot unless {@code llm}. */
  public String conversation(Member owner, boolean llm, Member... others) {
    String id = cluster.newConversation(owner.token(), "Host", "A host.", llm ? "llm" : "survey");
    for (Member other : others) {
      assertEquals(201, cluster.post(0, "/api/v1/conversations/" + id + "/members", owner.token(), new JsonObject().put("user_id", other.id())).status());
    }
    return id;
  }

  /** A user socket for tests about anything but presence: presence updates are dropped, online_users on connect read. */
  public WsClient connect(int node, Member member) {
    return open(node, member, "presence_update");
  }

  /** A user socket that keeps presence updates; the online_users sent on connect is read. */
  public WsClient watch(int node, Member member) {
    return open(node, member);
  }

  private WsClient open(int node, Member member, String... ignored) {
    WsClient ws = cluster.connect(node, "/ws/auth?token=" + member.token()).ignore(ignored);
    ws.next("online_users");
    return ws;
  }

  /** Joins {@code conversationId} and returns the conversation_joined frame (checked). */
  public static JsonObject join(WsClient ws, String conversationId) {
    ws.send(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId));
    JsonObject joined = ws.next("conversation_joined");
    assertEquals(conversationId, joined.getString("conversation_id"));
    Instant.parse(joined.getString("timestamp"));
    return joined;
  }

  /** Sends a text message to a joined conversation. */
  public static void say(WsClient ws, String conversationId, String content) {
    ws.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("content", content));
  }
}
