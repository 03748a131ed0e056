package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.RawWebSocket;
import chorus.node.support.TestCluster;
import chorus.node.support.TestCluster.HttpResult;
import chorus.node.support.UserProfileClients;
import chorus.node.support.UserProfileClients.Member;
import chorus.node.support.WsClient;
import chorus.shared.Addresses;
import chorus.shared.bus.PresenceQuery;
import chorus.shared.bus.PresenceSnapshot;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * A graceful drain on a real two-node cluster, as clients and operators see it: node A holds
 * sockets of all three profiles and is generating an AI reply when an admin drains it. A
 * stops being ready and refuses new upgrades at once, sends every socket its profile's notice
 * and closes it with 1012, loses no acknowledged message, ends the AI exchange with exactly
 * one reply (finished on A within the grace, or released and answered by B), forgets its
 * presence, and leaves the cluster.
 */
class DrainTest {
  private static final String NOTICE = "SERVER_RESTARTING";
  /** A long question: the local provider quotes it, so its reply is some 50 words, one delta each. */
  private static final String QUESTION = "Please explain to me slowly and in many small words how a cluster of chat servers can restart "
      + "one server after another while every person keeps talking and nothing they said is ever lost or said twice";

  @Test
  void aShortGraceReleasesTheGenerationAndTheOtherNodeAnswers() {
    // a word a second on A: nowhere near done when its 300 ms of grace end
    JsonObject reply = drainWhileGenerating(1000, 300, true);
    assertEquals(2, reply.getJsonObject("meta").getInteger("attempt"), () -> "answered again after the release: " + reply.encode());
  }

  @Test
  void aLongGraceLetsTheGenerationFinishOnTheDrainingNode() {
    // 200 ms a word on A: a reply of some 50 words finishes well within 30 s of grace; B has no AI role, so
    // the reply can only come from A
    JsonObject reply = drainWhileGenerating(200, 30_000, false);
    assertEquals(1, reply.getJsonObject("meta").getInteger("attempt"), () -> "finished by the first attempt: " + reply.encode());
    assertEquals("stop", reply.getJsonObject("meta").getString("finish_reason"), reply::encode);
  }

  /**
   * The whole scenario; returns the one stored assistant reply of the AI conversation.
   *
   * @param otherNodeAnswers B has the AI role too (it joins once A streams, so the job is A's)
   */
  private JsonObject drainWhileGenerating(long nodeADelayMs, long aiGraceMs, boolean otherNodeAnswers) {
    try (TestCluster cluster = TestCluster.create(4, config -> {
      config.getJsonObject("drain").put("spreadMs", 1500).put("aiGraceMs", aiGraceMs).put("timeoutMs", 60_000);
      // a lease far longer than the test: only A's release lets B take the job over
      config.getJsonObject("ai").put("leaseMs", 120_000);
    })) {
      ChorusNode nodeA = cluster.addNodeWith(EnumSet.allOf(NodeRole.class),
          config -> config.getJsonObject("ai").put("localDeltaDelayMs", nodeADelayMs));
      UserProfileClients users = new UserProfileClients(cluster);
      Member owner = users.member();
      if (!otherNodeAnswers) {
        cluster.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE, NodeRole.PRESENCE));
      }

      // the AI reply starts streaming on A, the only AI node
      String aiConversation = cluster.newConversation(owner.token(), "Ada", "You are a patient tutor.");
      WsClient aiSocket = cluster.connect(0, "/api/v1/conversations/" + aiConversation + "/ws?stream=true&token=" + owner.token());
      aiSocket.next("connection_ack");
      aiSocket.userMessage(QUESTION, "ai-1");
      aiSocket.next("message_received");
      assertEquals("assistant_delta", aiSocket.next().getString("type"));

      if (otherNodeAnswers) {
        cluster.addNodeWith(EnumSet.allOf(NodeRole.class), config -> config.getJsonObject("ai").put("localDeltaDelayMs", 0));
      }

      // a silent conversation (its bot never answers) with a conversation-profile and a user-profile socket on A
      String chat = users.conversation(owner);
      WsClient chatSocket = cluster.openConversation(0, chat, owner.token());
      Set<String> acknowledged = new HashSet<>();
      for (int i = 0; i < 5; i++) {
        chatSocket.userMessage("before the drain " + i, "c-" + i);
        acknowledged.add(chatSocket.next("message_received").getJsonObject("message").getString("message_id"));
      }
      WsClient userSocket = users.connect(0, owner);
      UserProfileClients.join(userSocket, chat);
      for (int i = 0; i < 3; i++) {
        userSocket.send(new JsonObject().put("type", "send_message").put("conversation_id", chat)
            .put("content", "from the user socket " + i).put("message_id", "u-" + i));
        acknowledged.add(userSocket.next("new_message").getJsonObject("message").getString("message_id"));
      }
      WsClient surveySocket = openSurvey(cluster, owner.token());

      // in flight when the drain begins: each is acknowledged or not, and stored once if it was
      for (int i = 0; i < 5; i++) {
        chatSocket.userMessage("as the drain begins " + i, "b-" + i);
      }
      assertEquals(1, messages(cluster, aiConversation, owner.token()).size(), "the reply was still streaming when the drain began");

      HttpResult drain = cluster.post(0, "/admin/drain", adminToken(cluster), new JsonObject());
      assertEquals(202, drain.status(), drain::toString);
      assertEquals("draining", drain.body().getString("state"));

      HttpResult again = cluster.post(0, "/admin/drain", adminToken(cluster), new JsonObject());
      assertEquals(202, again.status(), "a second call while draining is accepted too: " + again);
      HttpResult ready = cluster.get(0, "/health/ready", null);
      assertEquals(503, ready.status(), ready::toString);
      assertEquals("node is draining", check(ready.body(), "draining").getJsonObject("data").getString("reason"), ready.body()::encode);
      RawWebSocket.RefusedUpgrade refused = refusedUpgrade(nodeA, "/ws/auth?token=" + owner.token());
      assertEquals(503, refused.status(), refused::toString);
      assertEquals("DRAINING", new JsonObject(refused.body()).getString("code"), refused::body);

      // every socket: the notice frame, then 1012 (acknowledgements of the in-flight messages may come first)
      for (JsonObject frame : untilNotice(chatSocket)) {
        if ("message_received".equals(frame.getString("type"))) {
          acknowledged.add(frame.getJsonObject("message").getString("message_id"));
        }
      }
      untilNotice(userSocket);
      untilNotice(surveySocket);
      untilNotice(aiSocket);
      for (WsClient socket : List.of(chatSocket, userSocket, surveySocket, aiSocket)) {
        assertEquals(1012, socket.awaitClose());
      }

      Await.result(nodeA.drain(), Duration.ofSeconds(60));
      ChorusNode nodeB = cluster.node(1);
      Await.until("B alone in the cluster", Duration.ofSeconds(10), () -> nodeB.hazelcast().getCluster().getMembers().size() == 1);
      HttpResult status = cluster.get(1, "/admin/status", adminToken(cluster));
      assertEquals(1, status.body().getInteger("cluster_size"), status::toString);
      assertEquals("ready", status.body().getString("state"));

      // every acknowledged message stored exactly once, nothing stored twice
      Map<String, Integer> stored = new HashMap<>();
      messages(cluster, chat, owner.token()).forEach(m -> stored.merge(((JsonObject) m).getString("message_id"), 1, Integer::sum));
      for (String id : acknowledged) {
        assertEquals(1, stored.getOrDefault(id, 0), () -> id + " acknowledged, stored " + stored);
      }
      stored.forEach((id, count) -> assertEquals(1, count, () -> id + " stored twice: " + stored));
      assertTrue(acknowledged.size() >= 8, acknowledged::toString);

      // exactly one reply to the AI question
      Await.until("the AI reply stored", Duration.ofSeconds(30), () -> messages(cluster, aiConversation, owner.token()).size() >= 2);
      sleep(1000);
      JsonArray exchange = messages(cluster, aiConversation, owner.token());
      assertEquals(2, exchange.size(), exchange::encode);
      JsonObject reply = exchange.getJsonObject(1);
      assertEquals("assistant", reply.getString("role"));
      assertEquals(exchange.getJsonObject(0).getString("id"), reply.getString("reply_to"));

      // nobody is online through the drained node
      Await.until("the owner offline", Duration.ofSeconds(10), () -> !Await.result(nodeB.vertx().eventBus()
          .<PresenceSnapshot>request(Addresses.PRESENCE_QUERY, new PresenceQuery(List.of(owner.id())))).body().isOnline(owner.id()));
      return reply;
    }
  }

  @Test
  void theOtherNodesAppendsGoOnWhileOneNodeDrainsItsPersistence() {
    // a request B sends to A's persistence in the instant it unregisters gets no answer: its sender gives up after
    // limits.requestTimeoutMs, shortened here, and the client sends the message again (docs/guarantees.md, "Graceful drain")
    try (TestCluster cluster = TestCluster.start(2, config -> {
      config.getJsonObject("drain").put("spreadMs", 0);
      config.getJsonObject("limits").put("requestTimeoutMs", 2000);
    })) {
      UserProfileClients users = new UserProfileClients(cluster);
      Member owner = users.member();
      String chat = users.conversation(owner);
      // on B: its appends go to both persistence verticles in turn, A's until A's is gone
      WsClient socket = cluster.openConversation(1, chat, owner.token());
      io.vertx.core.Future<Void> drained = null;
      int errors = 0;
      for (int i = 0; i < 60; i++) {
        if (i == 10) {
          drained = cluster.node(0).drain();
        }
        String id = "m-" + i;
        socket.userMessage("while A drains " + i, id);
        while (true) {
          JsonObject frame = socket.next();
          if ("message_received".equals(frame.getString("type"))) {
            assertEquals(id, frame.getJsonObject("message").getString("message_id"));
            break;
          }
          // not stored: sent again with the same id, as a client does
          assertEquals("MESSAGE_ERROR", frame.getString("code"), frame::encode);
          errors++;
          socket.userMessage("while A drains " + i, id);
        }
      }
      Await.result(drained, Duration.ofSeconds(60));
      JsonArray stored = messages(cluster, chat, owner.token());
      assertEquals(60, stored.size(), stored::encode);
      for (int i = 0; i < 60; i++) {
        assertEquals("m-" + i, stored.getJsonObject(i).getString("message_id"), "in order, once each");
      }
      assertTrue(errors <= 3, "at most a message or two caught between A's unregistering and B learning it: " + errors);
      System.out.println("appends through B refused while A drained (then sent again): " + errors);
      socket.close();
    }
  }

  @Test
  void socketsAreClosedSpreadOverTheWindow() {
    try (TestCluster cluster = TestCluster.start(1, config -> config.getJsonObject("drain").put("spreadMs", 2000))) {
      UserProfileClients users = new UserProfileClients(cluster);
      List<WsClient> sockets = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Member member = users.member();
        sockets.add(cluster.openConversation(0, users.conversation(member), member.token()));
      }
      Await.result(cluster.node(0).drain(), Duration.ofSeconds(60));
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (WsClient socket : sockets) {
        assertEquals(NOTICE, untilNotice(socket).get(0).getString("code"));
        assertEquals(1012, socket.awaitClose());
        first = Math.min(first, socket.closedAtNanos());
        last = Math.max(last, socket.closedAtNanos());
      }
      // evenly over 2 s: 0, 0.67, 1.33 and 2 s in; a loaded machine may bunch them, but not into half the window
      long spreadMs = (last - first) / 1_000_000;
      assertTrue(spreadMs >= 1000, () -> "closes spread over " + spreadMs + " ms only");
    }
  }

  @Test
  void aDrainLongerThanItsTimeoutIsCutShort() {
    // the second socket would be sent away 20 s in; the cap is 1.5 s
    try (TestCluster cluster = TestCluster.start(1, config -> config.getJsonObject("drain").put("spreadMs", 20_000).put("timeoutMs", 1500))) {
      UserProfileClients users = new UserProfileClients(cluster);
      Member first = users.member();
      Member second = users.member();
      WsClient one = cluster.openConversation(0, users.conversation(first), first.token());
      WsClient two = cluster.openConversation(0, users.conversation(second), second.token());
      long started = System.nanoTime();
      Throwable failure = Await.failure(cluster.node(0).drain());
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertTrue(failure.getMessage().contains("timed out"), failure::toString);
      assertTrue(tookMs < 10_000, () -> "the drain ended at the cap, not after the spread: " + tookMs + " ms");
      // the node closed as it was: both sockets are gone, one sent away, the other cut by the close
      one.awaitClose();
      two.awaitClose();
    }
  }

  @Test
  void theAdminEndpointsNeedAnAdminTokenAndStatusSaysWhatTheNodeHolds() {
    try (TestCluster cluster = TestCluster.start(1)) {
      UserProfileClients users = new UserProfileClients(cluster);
      Member member = users.member();
      WsClient socket = cluster.openConversation(0, users.conversation(member), member.token());
      WsClient userSocket = users.connect(0, member);

      HttpResult anonymous = cluster.get(0, "/admin/status", null);
      assertEquals(401, anonymous.status());
      assertEquals("AUTH_REQUIRED", anonymous.body().getString("code"));
      HttpResult user = cluster.get(0, "/admin/status", member.token());
      assertEquals(403, user.status());
      assertEquals("FORBIDDEN", user.body().getString("code"));
      HttpResult inQuery = cluster.get(0, "/admin/status?token=" + adminToken(cluster), null);
      assertEquals(401, inQuery.status(), "an admin token only counts in the Authorization header");
      assertEquals(403, cluster.post(0, "/admin/drain", member.token(), new JsonObject()).status());
      assertEquals(401, cluster.post(0, "/admin/drain", null, new JsonObject()).status());
      assertFalse(cluster.node(0).draining(), "refused drains start nothing");

      HttpResult status = cluster.get(0, "/admin/status", adminToken(cluster));
      assertEquals(200, status.status(), status::toString);
      JsonObject body = status.body();
      assertEquals("test-node-0", body.getString("node_id"));
      assertEquals(cluster.node(0).nodeInstance(), body.getString("instance"));
      assertEquals(ProcessHandle.current().pid(), body.getLong("pid"));
      assertEquals("ready", body.getString("state"));
      assertEquals(1, body.getInteger("cluster_size"));
      assertEquals(Runtime.getRuntime().availableProcessors(), body.getInteger("cpus"));
      assertEquals(new JsonObject().put("conversation", 1).put("user", 1).put("survey", 0), body.getJsonObject("sockets"));
      assertTrue(body.getLong("uptime_ms") > 0, body::encode);

      HttpResult ready = cluster.get(0, "/health/ready", null);
      assertEquals(200, ready.status(), ready::toString);
      assertEquals("UP", check(ready.body(), "cluster").getString("status"), ready.body()::encode);
      assertEquals("UP", check(ready.body(), "draining").getString("status"), ready.body()::encode);
      socket.close();
      userSocket.close();
    }
  }

  // ---- helpers ---------------------------------------------------------------------------

  private static String adminToken(TestCluster cluster) {
    return cluster.token(new JsonObject().put("sub", "ops").put("role", "admin"), 600);
  }

  private static JsonArray messages(TestCluster cluster, String conversationId, String token) {
    HttpResult page = cluster.get(1, "/api/v1/conversations/" + conversationId + "/messages?limit=500", token);
    assertEquals(200, page.status(), page::toString);
    return page.body().getJsonArray("messages");
  }

  private static JsonObject check(JsonObject health, String id) {
    JsonArray checks = health.getJsonArray("checks");
    for (int i = 0; i < checks.size(); i++) {
      if (id.equals(checks.getJsonObject(i).getString("id"))) {
        return checks.getJsonObject(i);
      }
    }
    throw new AssertionError("no check " + id + " in " + health.encode());
  }

  /** Reads up to the drain notice (an error frame with code SERVER_RESTARTING): the notice first, then the frames before it. */
  private static List<JsonObject> untilNotice(WsClient socket) {
    List<JsonObject> frames = new ArrayList<>();
    Predicate<JsonObject> notice = frame -> "error".equals(frame.getString("type")) && NOTICE.equals(frame.getString("code"));
    while (true) {
      JsonObject frame = socket.next();
      if (notice.test(frame)) {
        assertNotNull(frame.getString("message"));
        frames.add(0, frame);
        return frames;
      }
      frames.add(frame);
    }
  }

  private static RawWebSocket.RefusedUpgrade refusedUpgrade(ChorusNode node, String uri) {
    try {
      return RawWebSocket.refusedUpgrade(node.httpPort(), uri);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  /** A survey with one question, opened on node 0 by its customer link; returns after the first question. */
  private static WsClient openSurvey(TestCluster cluster, String token) {
    HttpResult bot = cluster.post(0, "/api/v1/bots", token, new JsonObject().put("name", "Feedback").put("kind", "survey")
        .put("questions", new JsonArray().add(new JsonObject().put("id", "ok").put("text", "Happy?")
            .put("options", new JsonArray().add("Yes").add("No")))));
    assertEquals(201, bot.status(), bot::toString);
    HttpResult survey = cluster.post(0, "/api/v1/conversations", token, new JsonObject().put("bot_id", bot.body().getString("id"))
        .put("customer", new JsonObject().put("id", "cust-1").put("name", "Ann").put("email", "ann@example.com")));
    assertEquals(201, survey.status(), survey::toString);
    WsClient socket = cluster.connect(0, "/ws/" + survey.body().getString("id"));
    socket.next("state");
    socket.next("history");
    socket.next("message");
    return socket;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
