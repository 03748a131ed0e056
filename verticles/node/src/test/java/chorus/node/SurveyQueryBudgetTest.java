package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.SqlQueryCounter;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** What a survey costs the database: one query to connect (plus the cluster's shared reads), one statement per answer. */
class SurveyQueryBudgetTest {

  @Test
  void connectAndAnswerWithinBudget() {
    SqlQueryCounter counter = new SqlQueryCounter();
    try (TestCluster cluster = TestCluster.create(3, config -> {
      config.getJsonObject("ai").put("sweepIntervalMs", 600_000);
      config.getJsonObject("delivery").put("tailCheckMs", 0); // its periodic read would blur exact counts
    })) {
      cluster.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE, NodeRole.PRESENCE), counter);
      String token = cluster.token(TestCluster.newUserId());
      JsonArray questions = new JsonArray();
      for (int i = 1; i <= 10; i++) {
        questions.add(new JsonObject().put("text", "Question " + i + "?").put("options", new JsonArray().add("Yes").add("No")));
      }
      String bot = cluster.post(0, "/api/v1/bots", token, new JsonObject().put("name", "Budget").put("kind", "survey").put("questions", questions))
          .body().getString("id");
      String id = cluster.post(0, "/api/v1/conversations", token, new JsonObject().put("bot_id", bot)).body().getString("id");

      counter.awaitQuiet();
      counter.reset();
      WsClient ws = cluster.connect(0, "/ws/" + id);
      ws.next("state");
      ws.next("history");
      ws.next("message");
      // the survey context (conversation, bot, state, messages in one query), the audience of the
      // capability's presence change, and the feed's settle read on a node new to the conversation
      Await.until("settle read", Duration.ofSeconds(5), () -> counter.count() >= 3);
      counter.awaitQuiet();
      assertEquals(3, counter.count(), () -> "connect: " + counter.statements());
      assertTrue(counter.statements().get(0).contains("survey_states"), () -> "context first: " + counter.statements());

      counter.reset();
      for (int i = 0; i < 9; i++) {
        ws.send(new JsonObject().put("content", "Yes"));
        ws.next("message");
        ws.next("message");
      }
      // an invalid answer costs nothing
      ws.send(new JsonObject().put("content", "Perhaps"));
      ws.next("error");
      ws.next("message");
      counter.awaitQuiet();
      assertEquals(9, counter.count(), () -> "one statement per answer: " + counter.statements());
      ws.close();
    }
  }
}
