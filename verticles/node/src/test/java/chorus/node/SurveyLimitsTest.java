package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.node.support.TestCluster;
import chorus.node.support.TestCluster.HttpResult;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The survey profile's limits for a customer who has only the capability: content length, rate, frame size, script size. */
class SurveyLimitsTest {
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(1, config -> {
      config.getJsonObject("limits").put("messagesPerSecond", 0.001).put("messageBurst", 2).put("maxContentChars", 20);
      config.getJsonObject("survey").put("maxQuestions", 3);
    });
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void anAnonymousCustomerIsHeldToTheLimits() {
    String token = cluster.token(TestCluster.newUserId());
    JsonArray questions = new JsonArray();
    for (int i = 1; i <= 3; i++) {
      questions.add(new JsonObject().put("text", "Question " + i + "?"));
    }
    HttpResult bot = cluster.post(0, "/api/v1/bots", token, new JsonObject().put("name", "Short").put("kind", "survey").put("questions", questions));
    assertEquals(201, bot.status(), bot::toString);
    HttpResult tooMany = cluster.post(0, "/api/v1/bots", token, new JsonObject().put("name", "Long").put("kind", "survey")
        .put("questions", questions.copy().add(new JsonObject().put("text", "One too many?"))));
    assertEquals(400, tooMany.status());
    assertEquals("INVALID_SURVEY", tooMany.body().getString("code"));
    String id = cluster.post(0, "/api/v1/conversations", token, new JsonObject().put("bot_id", bot.body().getString("id")))
        .body().getString("id");

    WsClient ws = cluster.connect(0, "/ws/" + id);
    ws.next("state");
    ws.next("history");
    ws.next("message");
    ws.send(new JsonObject().put("content", "x".repeat(21)));
    assertEquals("MESSAGE_TOO_LONG", ws.next("error").getString("code"));
    for (int i = 1; i <= 2; i++) {
      ws.send(new JsonObject().put("content", "answer " + i));
      assertEquals("answer " + i, ws.next("message").getString("content"));
      assertEquals("Question " + (i + 1) + "?", ws.next("message").getString("content"));
    }
    // the capability's allowance (a burst of 2) is used up: refused, nothing stored
    ws.send(new JsonObject().put("content", "answer 3"));
    assertEquals("RATE_LIMITED", ws.next("error").getString("code"));
    JsonArray messages = cluster.get(0, "/api/v1/conversations/" + id + "/messages", token).body().getJsonArray("messages");
    assertEquals(5, messages.size(), messages::encode);
    assertEquals(2, cluster.get(0, "/api/v1/conversations/" + id, token).body().getJsonObject("survey").getInteger("current_question_index"));

    // a frame over limits.maxFrameBytes closes the socket with 1009
    ws.sendText("{\"content\":\"" + "y".repeat(70_000) + "\"}");
    assertEquals(1009, ws.awaitClose());
  }
}
