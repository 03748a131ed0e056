package chorus.gateway.profile;

import chorus.gateway.auth.Principal;
import chorus.gateway.feed.FeedListener;
import chorus.gateway.socket.SocketClose;
import chorus.gateway.survey.SurveyScript;
import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.SurveyAnswer;
import chorus.shared.bus.SurveyAnswerResult;
import chorus.shared.bus.SurveyContext;
import chorus.shared.domain.Bot;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import chorus.shared.domain.SurveyState;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One socket of the survey profile. The survey's progress lives in PostgreSQL; this socket
 * keeps a copy (index, answers, status) taken from the connect query and moved forward by
 * what it stores and by the conversation's messages (answers and the bot's questions, in seq
 * order, from every node). An answer is checked here against the script and stored with a
 * conditional update on the index it answered, so a stale copy can never count twice.
 */
final class SurveySocket extends FeedListener {
  static final String COMPLETED_REASON = "Survey completed successfully";

  private final SocketServices services;
  private final ServerWebSocket ws;
  private final Principal user;
  private final UUID conversationId;
  private final Bot bot;
  private final SurveyScript script;
  private final boolean reconnect;
  private final SurveyContext context;
  private final String socketId = UUID.randomUUID().toString();
  /** Presence and rate-limit key: the user, or the capability itself for a customer without a token. */
  private final String clientKey;
  private final String senderId;
  private final MessageSender sender;
  private SocketPlumbing plumbing;
  private final ConversationSeat seat;
  private final ConnectTimer connectTimer;

  private int index;
  private final Map<String, Object> answers = new LinkedHashMap<>();
  private boolean completed;
  private boolean completedSent;

  SurveySocket(SocketServices services, ServerWebSocket ws, Principal user, SurveyContext context, SurveyScript script, boolean reconnect,
      ConnectTimer connectTimer) {
    super(context.conversation().lastSeq());
    this.services = services;
    this.connectTimer = connectTimer;
    this.ws = ws;
    this.user = user;
    this.context = context;
    this.conversationId = context.conversation().id();
    this.bot = context.bot();
    this.script = script;
    this.reconnect = reconnect;
    this.clientKey = user != null ? user.userId() : "survey:" + conversationId;
    this.seat = new ConversationSeat(services.presence(), clientKey, conversationId, socketId);
    SurveyState state = context.survey();
    this.senderId = user != null ? user.userId() : state.customerId().isEmpty() ? "customer" : state.customerId();
    this.sender = new MessageSender(services);
    adopt(state);
  }

  void start() {
    plumbing = SocketPlumbing.attach(services, SurveyProfile.NAME, ws, socketId, SocketPlumbing.events(this::handleFrame, this::error,
        "too many messages in flight on this connection; wait for the next question", this::onSocketClosed));
    seat.take(SurveyProfile.NAME, this::refuse, this::accept);
  }

  private void refuse(String code, String reason) {
    SurveyProfile.log.info("ws refused profile={} conversation={} node={} reason={}", SurveyProfile.NAME, conversationId,
        services.config().nodeId(), code);
    error(code, reason);
    ws.close(CloseCodes.POLICY_VIOLATION, reason);
  }

  private void accept() {
    connectTimer.passed(ConnectTimer.SEAT);
    // user: the token's subject, or the survey's respondent when the conversation id alone admitted the socket
    SurveyProfile.log.info("ws open profile={} user={} conversation={} node={} socket={} token={} reconnect={}", SurveyProfile.NAME,
        senderId, conversationId, services.config().nodeId(), socketId, user != null, reconnect);
    JsonArray history = new JsonArray();
    context.messages().forEach(m -> history.add(historyEntry(m)));
    send(stateFrame(history));
    send(new JsonObject().put("type", "history").put("messages", history.copy()));
    plumbing.resume();
    services.feeds().attach(conversationId, context.conversation().lastSeq(), this).onSuccess(v -> connectTimer.live()).onFailure(e -> {
      error("UNAVAILABLE", "could not subscribe to the conversation; reconnect");
      ws.close(CloseCodes.INTERNAL_ERROR, "subscription failed");
    });
    if (completed) {
      sendCompleted(completionText());
    } else if (!reconnect) {
      // a reconnecting client asks with reconnect_confirm and is answered with resumed
      sendCurrentQuestion();
    }
  }

  // ---- inbound -------------------------------------------------------------------------

  private Future<Void> handleFrame(JsonObject frame) {
    Object type = frame.getValue("type");
    if ("reconnect_confirm".equals(type)) {
      send(new JsonObject().put("type", "reconnect_success").put("message", "Reconnection successful"));
      if (completed) {
        sendCompleted(completionText());
      } else {
        send(resumedFrame());
      }
      return Future.succeededFuture();
    }
    if ("ping".equals(type)) {
      send(new JsonObject().put("type", "pong").put("timestamp", Frames.now()));
      return Future.succeededFuture();
    }
    if (type == null || "message".equals(type) || "answer".equals(type)) {
      return answer(frame.getValue("content"));
    }
    error("UNKNOWN_TYPE", type instanceof String name ? "unknown message type: " + (name.length() > 64 ? name.substring(0, 64) + "..." : name)
        : "type must be a string");
    return Future.succeededFuture();
  }

  private Future<Void> answer(Object contentValue) {
    if (completed) {
      error("SURVEY_COMPLETED", "This survey is already completed; no more answers are accepted");
      return Future.succeededFuture();
    }
    if (!(contentValue instanceof String content)) {
      error("INVALID_MESSAGE", "content is required and must be a string");
      return Future.succeededFuture();
    }
    int maxChars = services.config().maxContentChars();
    if (content.codePointCount(0, content.length()) > maxChars) {
      error("MESSAGE_TOO_LONG", "content is longer than " + maxChars + " characters");
      return Future.succeededFuture();
    }
    int answering = index;
    SurveyScript.Question question = script.question(answering);
    SurveyScript.Outcome outcome = script.answer(answering, answers, content);
    if (outcome.refused()) {
      error(outcome.problemCode(), outcome.problem());
      sendCurrentQuestion();
      return Future.succeededFuture();
    }
    return sender.take(clientKey).compose(allowed -> {
      if (!allowed) {
        error("RATE_LIMITED", "too many messages; slow down and send this answer again");
        sender.closeIfAbusive(ws);
        return Future.succeededFuture();
      }
      return store(answering, question, outcome);
    }).<Void>mapEmpty().otherwiseEmpty();
  }

  private Future<Void> store(int answering, SurveyScript.Question question, SurveyScript.Outcome outcome) {
    Map<String, Object> answerInfo = new HashMap<>();
    answerInfo.put("question_index", answering);
    answerInfo.put("question_id", question.id());
    answerInfo.put("answer", outcome.answer());
    Map<String, Object> botInfo = new HashMap<>();
    String botContent;
    if (outcome.completes()) {
      botInfo.put("completed", true);
      botContent = script.completionMessage();
    } else {
      SurveyScript.Question next = script.question(outcome.nextIndex());
      botInfo.put("question_index", outcome.nextIndex());
      botInfo.put("question_id", next.id());
      botContent = next.text();
    }
    SurveyAnswer request = new SurveyAnswer(conversationId, user == null ? null : user.userId(), senderId, answering, question.id(),
        outcome.answer(), outcome.content(), Map.of("survey", answerInfo), outcome.nextIndex(), outcome.completes(), botContent,
        Map.of("survey", botInfo));
    return services.vertx().eventBus()
        .<SurveyAnswerResult>request(Addresses.SURVEY_ANSWER, request, services.requestOptions())
        .map(Message::body)
        .onSuccess(result -> {
          adopt(result.state());
          switch (result.outcome()) {
            // the answer and the next question reach every socket, this one included, through the feed
            case SurveyAnswerResult.STORED -> result.messages().forEach(services.feeds()::offer);
            case SurveyAnswerResult.COMPLETED -> error("SURVEY_COMPLETED", "This survey is already completed; no more answers are accepted");
            default -> error("QUESTION_ALREADY_ANSWERED", "This question was answered meanwhile (in another window); the survey goes on from there");
          }
        })
        .onFailure(e -> {
          if (Failures.codeOf(e) == Failures.NOT_FOUND) {
            error("NOT_FOUND", "Conversation not found");
          } else {
            SurveyProfile.log.warn("survey answer failed on conversation {}: {}", conversationId, e.toString());
            error("UNAVAILABLE", "the answer could not be stored; send it again");
          }
        })
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  // ---- outbound ------------------------------------------------------------------------

  /** Each message of the conversation, from any node, in seq order, once. */
  @Override
  protected void onMessage(StoredMessage message) {
    Map<String, Object> info = surveyInfo(message);
    if (message.role() == Role.USER && info.get("question_id") instanceof String questionId) {
      answers.put(questionId, info.get("answer"));
    }
    if (message.role() == Role.ASSISTANT && Boolean.TRUE.equals(info.get("completed"))) {
      completed = true;
      sendCompleted(message.content());
      return;
    }
    if (message.role() == Role.ASSISTANT && info.get("question_index") instanceof Number next && next.intValue() > index) {
      index = next.intValue();
    }
    JsonObject frame = new JsonObject().put("type", "message").put("sender", sender(message)).put("content", message.content())
        .put("timestamp", message.createdAt().toString()).put("seq", message.seq());
    if (message.role() == Role.ASSISTANT && info.get("question_index") instanceof Number asked && script.question(asked.intValue()) != null) {
      frame.put("question", script.question(asked.intValue()).toJson());
    }
    send(frame);
  }

  @Override
  protected void onMemberRemoved(String userId) {
    if (user != null && userId.equals(user.userId())) {
      error("REMOVED_FROM_CONVERSATION", "you are no longer a member of this conversation");
      ws.close(CloseCodes.FORBIDDEN, "removed from conversation");
    }
  }

  private void sendCurrentQuestion() {
    SurveyScript.Question question = script.question(index);
    if (question != null) {
      send(new JsonObject().put("type", "message").put("sender", "BOT").put("content", question.text())
          .put("timestamp", Frames.now()).put("question", question.toJson()));
    }
  }

  /** The document's completed frame, then the close (1000) once the frames already received are answered. */
  private void sendCompleted(String text) {
    if (completedSent) {
      return;
    }
    completedSent = true;
    send(new JsonObject().put("type", "completed").put("message", text).put("close_connection", true)
        .put("close_code", (int) CloseCodes.NORMAL).put("close_reason", COMPLETED_REASON));
    plumbing.afterPendingFrames(() -> {
      SurveyProfile.log.info("ws survey completed conversation={} node={} socket={}", conversationId, services.config().nodeId(), socketId);
      return SocketClose.close(services.vertx(), ws, CloseCodes.NORMAL, COMPLETED_REASON, services.config().socketLimits().closeGraceMs())
          .otherwiseEmpty();
    });
  }

  private JsonObject resumedFrame() {
    SurveyScript.Question question = script.question(index);
    return new JsonObject().put("type", "resumed")
        .put("currentQuestion", question == null ? null : question.toJson())
        .put("current_question_index", index)
        .put("message", "Resumed conversation at question " + (index + 1) + " of " + script.size());
  }

  private JsonObject stateFrame(JsonArray history) {
    SurveyState state = context.survey();
    JsonObject conversation = new JsonObject()
        .put("id", conversationId.toString())
        .put("customer_id", state.customerId())
        .put("survey_id", bot.id().toString())
        .put("current_question_index", index)
        .put("answers", new JsonObject(new LinkedHashMap<>(answers)))
        .put("messages", history)
        .put("status", completed ? SurveyState.COMPLETED : SurveyState.ACTIVE)
        .put("created_at", state.createdAt().toString())
        .put("updated_at", state.updatedAt().toString());
    JsonObject customer = new JsonObject().put("id", state.customerId()).put("name", state.customerName()).put("email", state.customerEmail());
    JsonObject survey = new JsonObject().put("id", bot.id().toString()).put("name", bot.name()).put("questions", script.questionsJson());
    return new JsonObject().put("type", "state").put("conversation", conversation).put("customer", customer).put("survey", survey);
  }

  private static JsonObject historyEntry(StoredMessage message) {
    return new JsonObject().put("sender", sender(message)).put("content", message.content())
        .put("timestamp", message.createdAt().toString()).put("seq", message.seq());
  }

  private static String sender(StoredMessage message) {
    return message.role() == Role.USER ? "USER" : "BOT";
  }

  /** The completion message as stored (the conversation's last bot message), else the script's. */
  private String completionText() {
    List<StoredMessage> messages = context.messages();
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (Boolean.TRUE.equals(surveyInfo(messages.get(i)).get("completed"))) {
        return messages.get(i).content();
      }
    }
    return script.completionMessage();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> surveyInfo(StoredMessage message) {
    return message.meta() != null && message.meta().get("survey") instanceof Map<?, ?> info ? (Map<String, Object>) info : Map.of();
  }

  /** Takes the database's state when it is not behind this copy (the index only ever grows). */
  private void adopt(SurveyState state) {
    if (state == null || state.currentQuestionIndex() < index) {
      return;
    }
    index = state.currentQuestionIndex();
    answers.clear();
    answers.putAll(state.answers());
    completed = completed || state.completed();
  }

  private void onSocketClosed() {
    services.feeds().detach(conversationId, this);
    seat.release();
    SurveyProfile.log.info("ws close profile={} user={} conversation={} node={} socket={} code={}", SurveyProfile.NAME, senderId,
        conversationId, services.config().nodeId(), socketId, ws.closeStatusCode());
  }

  private void error(String code, String text) {
    services.meters().errorFrame(SurveyProfile.NAME, code);
    send(Frames.error(code, text));
  }

  private void send(JsonObject frame) {
    plumbing.send(frame);
  }
}
