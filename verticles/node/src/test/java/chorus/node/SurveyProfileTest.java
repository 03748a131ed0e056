package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.TestCluster.HttpResult;
import chorus.node.support.TestCluster.Refusal;
import chorus.node.support.WsClient;
import chorus.shared.Addresses;
import chorus.shared.bus.SurveyAnswer;
import chorus.shared.bus.SurveyAnswerResult;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The survey profile (/ws/{conversation_id}, seed 004) on two real nodes, through real WebSocket clients. */
class SurveyProfileTest {
  static TestCluster cluster;

  /** Flattened: 0 satisfied, 1 why (only after "No"), 2 recommend, 3 comments (optional). */
  static final JsonArray SCRIPT = new JsonArray()
      .add(new JsonObject().put("id", "satisfied").put("text", "Are you satisfied with our service?")
          .put("options", new JsonArray().add("Yes").add("No"))
          .put("follow_ups", new JsonArray().add(new JsonObject().put("when", new JsonArray().add("No"))
              .put("questions", new JsonArray().add(new JsonObject().put("id", "why").put("text", "What went wrong?"))))))
      .add(new JsonObject().put("id", "recommend").put("text", "Would you recommend us?")
          .put("options", new JsonArray().add("Yes").add("No").add("Maybe")))
      .add(new JsonObject().put("id", "comments").put("text", "Anything else you want to tell us?").put("required", false));

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(2);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static String surveyBot(String token) {
    HttpResult bot = cluster.post(0, "/api/v1/bots", token, new JsonObject().put("name", "Feedback").put("kind", "survey")
        .put("questions", SCRIPT).put("completion_message", "Thanks, Ann!"));
    assertEquals(201, bot.status(), bot::toString);
    return bot.body().getString("id");
  }

  private static String startSurvey(String token, String botId) {
    HttpResult conversation = cluster.post(0, "/api/v1/conversations", token, new JsonObject().put("bot_id", botId)
        .put("customer", new JsonObject().put("id", "cust-1").put("name", "Ann").put("email", "ann@example.com")));
    assertEquals(201, conversation.status(), conversation::toString);
    String id = conversation.body().getString("id");
    assertEquals(4, UUID.fromString(id).version(), "the capability is a random (version 4) UUID");
    return id;
  }

  private static JsonObject answer(WsClient ws, String content) {
    ws.send(new JsonObject().put("content", content));
    return ws.next("message");
  }

  private static JsonObject bot(WsClient ws) {
    JsonObject message = ws.next("message");
    assertEquals("BOT", message.getString("sender"), message::encode);
    return message;
  }

  @Test
  void wholeFlowWithFollowUpInvalidOptionSkipAndCompletion() {
    String token = cluster.token(TestCluster.newUserId());
    String botId = surveyBot(token);
    JsonObject created = cluster.get(0, "/api/v1/conversations/" + startSurvey(token, botId), token).body();
    String id = created.getString("id");
    assertEquals("/ws/" + id, created.getJsonObject("survey").getString("ws_path"));

    // the capability alone: no token
    WsClient ws = cluster.connect(0, "/ws/" + id);
    JsonObject state = ws.next("state");
    JsonObject conversation = state.getJsonObject("conversation");
    assertEquals(id, conversation.getString("id"));
    assertEquals("cust-1", conversation.getString("customer_id"));
    assertEquals(botId, conversation.getString("survey_id"));
    assertEquals(0, conversation.getInteger("current_question_index"));
    assertEquals(new JsonObject(), conversation.getJsonObject("answers"));
    assertEquals("active", conversation.getString("status"));
    assertEquals(1, conversation.getJsonArray("messages").size());
    assertNotNull(conversation.getString("created_at"));
    assertNotNull(conversation.getString("updated_at"));
    assertEquals("Ann", state.getJsonObject("customer").getString("name"));
    assertEquals("ann@example.com", state.getJsonObject("customer").getString("email"));
    assertEquals("Feedback", state.getJsonObject("survey").getString("name"));
    assertEquals(botId, state.getJsonObject("survey").getString("id"));
    assertEquals(4, state.getJsonObject("survey").getJsonArray("questions").size(), "follow-ups are part of the script");

    JsonArray history = ws.next("history").getJsonArray("messages");
    assertEquals(1, history.size());
    assertEquals("BOT", history.getJsonObject(0).getString("sender"));
    assertEquals("Are you satisfied with our service?", history.getJsonObject(0).getString("content"));
    assertNotNull(history.getJsonObject(0).getString("timestamp"));

    JsonObject first = bot(ws);
    assertEquals("Are you satisfied with our service?", first.getString("content"));
    assertEquals(new JsonArray().add("Yes").add("No"), first.getJsonObject("question").getJsonArray("options"));

    // an answer that fits no option: an error, then the same question again, nothing stored
    ws.send(new JsonObject().put("content", "Perhaps"));
    JsonObject error = ws.next("error");
    assertEquals("INVALID_OPTION", error.getString("code"));
    assertTrue(error.getString("message").contains("Yes, No"), error::encode);
    assertEquals("Are you satisfied with our service?", bot(ws).getString("content"));

    // "no" (any case) is the option "No", which takes the follow-up
    JsonObject mine = answer(ws, "no");
    assertEquals("USER", mine.getString("sender"));
    assertEquals("No", mine.getString("content"));
    assertEquals(2L, mine.getLong("seq"));
    JsonObject followUp = bot(ws);
    assertEquals("What went wrong?", followUp.getString("content"));
    assertEquals(3L, followUp.getLong("seq"));

    assertEquals("Slow delivery", answer(ws, "  Slow delivery ").getString("content"));
    assertEquals("Would you recommend us?", bot(ws).getString("content"));
    assertEquals("Maybe", answer(ws, "maybe").getString("content"));
    assertEquals("Anything else you want to tell us?", bot(ws).getString("content"));

    // the last question is optional: an empty answer skips it and completes the survey
    JsonObject skipped = answer(ws, "");
    assertEquals("", skipped.getString("content"));
    JsonObject completed = ws.next("completed");
    assertEquals("Thanks, Ann!", completed.getString("message"));
    assertEquals(true, completed.getBoolean("close_connection"));
    assertEquals(1000, completed.getInteger("close_code"));
    assertEquals("Survey completed successfully", completed.getString("close_reason"));
    assertEquals(1000, ws.awaitClose());

    // the answers, readable by the survey's owner
    JsonObject survey = cluster.get(1, "/api/v1/conversations/" + id, token).body().getJsonObject("survey");
    assertEquals("completed", survey.getString("status"));
    assertEquals(4, survey.getInteger("current_question_index"));
    JsonObject answers = survey.getJsonObject("answers");
    assertEquals("No", answers.getString("satisfied"));
    assertEquals("Slow delivery", answers.getString("why"));
    assertEquals("Maybe", answers.getString("recommend"));
    assertTrue(answers.containsKey("comments"));
    assertNull(answers.getValue("comments"));
    assertEquals("Ann", survey.getJsonObject("customer").getString("name"));
    // every answer and question is a stored message with its seq
    JsonArray messages = cluster.get(0, "/api/v1/conversations/" + id + "/messages", token).body().getJsonArray("messages");
    assertEquals(9, messages.size(), messages::encode);
    assertEquals("user", messages.getJsonObject(1).getString("role"));
    assertEquals(9L, messages.getJsonObject(8).getLong("seq"));
    // someone else's token does not read it
    assertEquals(404, cluster.get(0, "/api/v1/conversations/" + id, cluster.token(TestCluster.newUserId())).status());
  }

  @Test
  void reconnectOnAnotherNodeResumesAtTheRightQuestion() {
    String token = cluster.token(TestCluster.newUserId());
    String id = startSurvey(token, surveyBot(token));
    WsClient first = cluster.connect(0, "/ws/" + id);
    first.next("state");
    first.next("history");
    bot(first);
    assertEquals("Yes", answer(first, "Yes").getString("content"));
    // "Yes" does not take the follow-up
    assertEquals("Would you recommend us?", bot(first).getString("content"));
    first.close();

    WsClient again = cluster.connect(1, "/ws/" + id + "?reconnect=true");
    JsonObject conversation = again.next("state").getJsonObject("conversation");
    assertEquals(2, conversation.getInteger("current_question_index"));
    assertEquals(new JsonObject().put("satisfied", "Yes"), conversation.getJsonObject("answers"));
    assertEquals(3, again.next("history").getJsonArray("messages").size());
    // a reconnecting client is resumed when it confirms, not sent the question unasked
    again.send(new JsonObject().put("type", "reconnect_confirm"));
    assertEquals("Reconnection successful", again.next("reconnect_success").getString("message"));
    JsonObject resumed = again.next("resumed");
    assertEquals("recommend", resumed.getJsonObject("currentQuestion").getString("id"));
    assertEquals("Would you recommend us?", resumed.getJsonObject("currentQuestion").getString("text"));
    assertEquals(new JsonArray().add("Yes").add("No").add("Maybe"), resumed.getJsonObject("currentQuestion").getJsonArray("options"));
    assertNotNull(resumed.getString("message"));
    assertEquals("No", answer(again, "No").getString("content"));
    assertEquals("Anything else you want to tell us?", bot(again).getString("content"));
    again.close();
  }

  @Test
  void theSameSurveyOpenOnTwoNodesSeesEveryAnswerAndQuestion() {
    String token = cluster.token(TestCluster.newUserId());
    String id = startSurvey(token, surveyBot(token));
    WsClient customer = cluster.connect(0, "/ws/" + id);
    // the owner's token is accepted too
    WsClient owner = cluster.connect(1, "/ws/" + id + "?token=" + token);
    for (WsClient ws : List.of(customer, owner)) {
      ws.next("state");
      ws.next("history");
      bot(ws);
    }
    customer.send(new JsonObject().put("content", "No"));
    for (WsClient ws : List.of(customer, owner)) {
      assertEquals("No", ws.next("message").getString("content"));
      assertEquals("What went wrong?", bot(ws).getString("content"));
    }
    owner.send(new JsonObject().put("content", "Too slow"));
    for (WsClient ws : List.of(customer, owner)) {
      JsonObject answer = ws.next("message");
      assertEquals("USER", answer.getString("sender"));
      assertEquals("Too slow", answer.getString("content"));
      assertEquals("Would you recommend us?", bot(ws).getString("content"));
      ws.expectSilence(Duration.ofMillis(300));
    }
    customer.close();
    owner.close();
  }

  @Test
  void concurrentAnswersToOneQuestionCountOnce() {
    String token = cluster.token(TestCluster.newUserId());
    UUID id = UUID.fromString(startSurvey(token, surveyBot(token)));
    List<Future<SurveyAnswerResult>> answers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      SurveyAnswer answer = new SurveyAnswer(id, null, "customer", 0, "satisfied", "Yes", "Yes",
          Map.of("survey", Map.of("question_index", 0, "question_id", "satisfied", "answer", "Yes")), 2, false,
          "Would you recommend us?", Map.of("survey", Map.of("question_index", 2, "question_id", "recommend")));
      answers.add(cluster.node(i % 2).vertx().eventBus().<SurveyAnswerResult>request(Addresses.SURVEY_ANSWER, answer).map(Message::body));
    }
    List<SurveyAnswerResult> results = Await.result(Future.all(answers).map(all -> all.<SurveyAnswerResult>list()));
    assertEquals(1, results.stream().filter(r -> r.outcome().equals(SurveyAnswerResult.STORED)).count());
    assertEquals(7, results.stream().filter(r -> r.outcome().equals(SurveyAnswerResult.STALE)).count());
    JsonArray messages = cluster.get(0, "/api/v1/conversations/" + id + "/messages", token).body().getJsonArray("messages");
    assertEquals(3, messages.size(), "the first question, one answer and the next question: " + messages.encode());
    assertEquals(2, cluster.get(0, "/api/v1/conversations/" + id, token).body().getJsonObject("survey").getInteger("current_question_index"));
  }

  @Test
  void aCompletedSurveyRefusesAnswers() {
    String token = cluster.token(TestCluster.newUserId());
    String id = startSurvey(token, surveyBot(token));
    WsClient ws = cluster.connect(0, "/ws/" + id);
    ws.next("state");
    ws.next("history");
    bot(ws);
    answer(ws, "Yes");
    bot(ws);
    answer(ws, "Yes");
    bot(ws);
    // the last answer and one more, sent together: the second is refused before the close
    ws.send(new JsonObject().put("content", "Great service"));
    ws.send(new JsonObject().put("content", "and another thing"));
    assertEquals("Great service", ws.next("message").getString("content"));
    ws.next("completed");
    assertEquals("SURVEY_COMPLETED", ws.next("error").getString("code"));
    assertEquals(1000, ws.awaitClose());

    // connecting to a completed survey: its state and history, then completed and the close
    WsClient later = cluster.connect(1, "/ws/" + id);
    assertEquals("completed", later.next("state").getJsonObject("conversation").getString("status"));
    assertEquals(7, later.next("history").getJsonArray("messages").size());
    assertEquals("Thanks, Ann!", later.next("completed").getString("message"));
    assertEquals(1000, later.awaitClose());
    JsonArray messages = cluster.get(0, "/api/v1/conversations/" + id + "/messages", token).body().getJsonArray("messages");
    assertEquals(7, messages.size(), "nothing stored after completion: " + messages.encode());
  }

  @Test
  void badScriptsAreRefusedWithJson400() {
    String token = cluster.token(TestCluster.newUserId());
    Map<JsonObject, String> bad = Map.of(
        new JsonObject().put("questions", new JsonArray()), "questions must be a non-empty array",
        new JsonObject().put("questions", new JsonArray().add(new JsonObject().put("id", "a"))), "questions[0].text",
        new JsonObject().put("questions", new JsonArray().add(new JsonObject().put("text", "Pick").put("options", new JsonArray().add("A").add("a")))),
        "questions[0].options[1]",
        new JsonObject().put("questions", new JsonArray().add(new JsonObject().put("id", "x").put("text", "One"))
            .add(new JsonObject().put("id", "x").put("text", "Two"))), "used twice",
        new JsonObject().put("questions", new JsonArray().add(new JsonObject().put("text", "Pick").put("options", new JsonArray().add("A"))
            .put("follow_ups", new JsonArray().add(new JsonObject().put("when", "B").put("questions",
                new JsonArray().add(new JsonObject().put("text", "Why?"))))))), "questions[0].follow_ups[0].when",
        new JsonObject().put("questions", new JsonArray().add(new JsonObject().put("text", "Sure?").put("required", "yes"))), "questions[0].required");
    bad.forEach((script, expected) -> {
      HttpResult result = cluster.post(0, "/api/v1/bots", token, script.copy().put("name", "Bad").put("kind", "survey"));
      assertEquals(400, result.status(), result::toString);
      assertEquals("INVALID_SURVEY", result.body().getString("code"), result::toString);
      assertTrue(result.body().getString("message").contains(expected), result.body()::encode);
    });
    HttpResult llm = cluster.post(0, "/api/v1/bots", token, new JsonObject().put("name", "Llm").put("questions", SCRIPT));
    assertEquals(400, llm.status());
    assertEquals("INVALID_FIELD", llm.body().getString("code"));
    HttpResult reserved = cluster.post(0, "/api/v1/bots", token, new JsonObject().put("name", "Sneaky").put("kind", "survey")
        .put("settings", new JsonObject().put("survey", new JsonObject().put("questions", "nope"))));
    assertEquals(400, reserved.status());
  }

  @Test
  void unknownOrForbiddenConversationsAreRefusedWith4004() {
    Refusal unknown = cluster.refusal(0, "/ws/" + UUID.randomUUID());
    assertEquals("NOT_FOUND", unknown.error().getString("code"));
    assertEquals("Conversation not found", unknown.error().getString("message"));
    assertEquals(4004, unknown.closeCode());
    assertEquals(4004, cluster.refusal(1, "/ws/not-a-uuid").closeCode());

    // an ordinary conversation's id is no capability
    String token = cluster.token(TestCluster.newUserId());
    String chat = cluster.newConversation(token, "Chat", "Friendly.");
    assertEquals(4004, cluster.refusal(0, "/ws/" + chat).closeCode());
    // with a token, the user must be a member
    String survey = startSurvey(token, surveyBot(token));
    assertEquals(4004, cluster.refusal(0, "/ws/" + survey + "?token=" + cluster.token(TestCluster.newUserId())).closeCode());
    Refusal badToken = cluster.refusal(0, "/ws/" + survey + "?token=garbage");
    assertEquals(4001, badToken.closeCode());
    assertEquals("AUTH_FAILED", badToken.error().getString("code"));
    // an ordinary conversation reads without a survey part
    JsonObject plain = cluster.get(0, "/api/v1/conversations/" + chat, token).body();
    assertEquals(chat, plain.getString("id"));
    assertFalse(plain.containsKey("survey"));
  }

  @Test
  void theBrowserTestPageIsServed() {
    HttpResult page = cluster.get(1, "/survey-test.html", null);
    assertEquals(200, page.status());
    assertTrue(page.headers().get("content-type").startsWith("text/html"), page.headers().get("content-type"));
    String html = page.body().getString("_raw");
    assertTrue(html.contains("/ws/"), "the page opens the survey socket");
    assertTrue(html.contains("reconnect_confirm"));
  }
}
