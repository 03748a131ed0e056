package chorus.gateway.rest;

import chorus.gateway.GatewayConfig;
import chorus.gateway.auth.AuthFailure;
import chorus.gateway.auth.Authenticator;
import chorus.gateway.auth.Principal;
import chorus.gateway.profile.Frames;
import chorus.gateway.survey.SurveyScript;
import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.ArchiveState;
import chorus.shared.bus.ChangeMembership;
import chorus.shared.bus.ConversationList;
import chorus.shared.bus.CreateBot;
import chorus.shared.bus.CreateConversation;
import chorus.shared.bus.HistoryPage;
import chorus.shared.bus.HistoryRequest;
import chorus.shared.bus.ListConversations;
import chorus.shared.bus.MembershipChanged;
import chorus.shared.bus.PlainJson;
import chorus.shared.bus.SetArchived;
import chorus.shared.bus.SurveyContext;
import chorus.shared.bus.SurveyContextRequest;
import chorus.shared.domain.Bot;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.SurveyState;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The REST endpoints for setting things up and reading history. Bearer token; errors are JSON 4xx. */
public final class RestApi {
  private static final Logger log = LoggerFactory.getLogger(RestApi.class);
  private static final int MAX_NAME_CHARS = 200;
  private static final int MAX_PERSONALITY_CHARS = 20_000;

  private final Vertx vertx;
  private final GatewayConfig config;
  private final Authenticator authenticator;
  private final DeliveryOptions requestOptions;

  public RestApi(Vertx vertx, GatewayConfig config, Authenticator authenticator, DeliveryOptions requestOptions) {
    this.vertx = vertx;
    this.config = config;
    this.authenticator = authenticator;
    this.requestOptions = requestOptions;
  }

  public void mount(Router router) {
    Handler<RoutingContext> body = BodyHandler.create(false).setBodyLimit(config.maxHttpBodyBytes());
    // a failure handler on the routes: a router.errorHandler(413) stopped being reached here
    // (Vert.x answered its own text/plain 413; cause not found), and clients want the JSON
    router.route("/api/*").failureHandler(ctx -> {
      if (ctx.statusCode() == 413) {
        OversizedBody.reject(ctx, config.maxHttpBodyBytes());
      } else {
        ctx.next();
      }
    });
    router.post("/api/v1/bots").handler(body).handler(this::createBot);
    router.post("/api/v1/conversations").handler(body).handler(this::createConversation);
    router.get("/api/v1/conversations/:id").handler(this::getConversation);
    router.get("/api/v1/conversations/:id/messages").handler(this::listMessages);
    router.post("/api/v1/conversations/:id/members").handler(body).handler(this::addMember);
    router.delete("/api/v1/conversations/:id/members/:user_id").handler(this::removeMember);
    new ContentApi(vertx, config, authenticator, requestOptions).mount(router, body);
    router.get("/api/v1/conversations").handler(this::listConversations);
    router.post("/api/v1/conversations/:id/archive").handler(ctx -> setArchived(ctx, true));
    router.delete("/api/v1/conversations/:id/archive").handler(ctx -> setArchived(ctx, false));
  }

  private void createBot(RoutingContext ctx) {
    authenticated(ctx).compose(user -> {
      JsonObject body = jsonBody(ctx);
      String name = requiredString(body, "name", MAX_NAME_CHARS);
      BotKind kind;
      try {
        kind = BotKind.fromWire(optionalString(body, "kind", 16, "llm"));
      } catch (IllegalArgumentException e) {
        throw new BadRequest("INVALID_FIELD", "kind must be 'llm' or 'survey'");
      }
      String personality = optionalString(body, "personality", MAX_PERSONALITY_CHARS, "");
      Object settings = body.getValue("settings", new JsonObject());
      if (!(settings instanceof JsonObject settingsJson)) {
        throw new BadRequest("INVALID_FIELD", "settings must be a JSON object");
      }
      Object isPublic = body.getValue("public", false);
      if (!(isPublic instanceof Boolean publicFlag)) {
        throw new BadRequest("INVALID_FIELD", "public must be a boolean");
      }
      Map<String, Object> settingsMap = surveySettings(kind, body, settingsJson);
      CreateBot command = new CreateBot(user.userId(), user.name(), user.role(), name, kind, personality, settingsMap, publicFlag);
      return vertx.eventBus().<Bot>request(Addresses.CREATE_BOT, command, requestOptions).map(Message::body);
    }).onSuccess(bot -> reply(ctx, 201, Frames.bot(bot))).onFailure(e -> fail(ctx, e));
  }

  /**
   * A survey bot's script comes as {@code questions} (and an optional {@code completion_message}),
   * validated here and stored as {@code settings.survey}; nothing else may write that key. A
   * survey bot without questions stays a silent bot (it never answers).
   */
  private Map<String, Object> surveySettings(BotKind kind, JsonObject body, JsonObject settings) {
    if (settings.containsKey("survey")) {
      throw new BadRequest("INVALID_FIELD", "settings.survey is reserved: give a survey bot's script as questions");
    }
    Object questions = body.getValue("questions");
    Object completion = body.getValue("completion_message");
    if (questions == null && completion == null) {
      return PlainJson.map(settings);
    }
    if (kind != BotKind.SURVEY) {
      throw new BadRequest("INVALID_FIELD", "questions and completion_message are only for bots of kind 'survey'");
    }
    try {
      SurveyScript script = SurveyScript.parse(questions, completion, config.surveyMaxQuestions(), config.surveyMaxOptions());
      return PlainJson.map(settings.copy().put("survey", script.toSettings()));
    } catch (SurveyScript.Invalid e) {
      throw new BadRequest("INVALID_SURVEY", e.getMessage());
    }
  }

  private void createConversation(RoutingContext ctx) {
    authenticated(ctx).compose(user -> {
      JsonObject body = jsonBody(ctx);
      UUID botId = uuid(requiredString(body, "bot_id", 64), "bot_id");
      String title = optionalString(body, "title", MAX_NAME_CHARS, null);
      Object customerValue = body.getValue("customer", new JsonObject());
      if (!(customerValue instanceof JsonObject customer)) {
        throw new BadRequest("INVALID_FIELD", "customer must be an object with id, name and email");
      }
      CreateConversation command = new CreateConversation(user.userId(), user.name(), user.role(), botId, title,
          optionalString(customer, "id", MAX_NAME_CHARS, null), optionalString(customer, "name", MAX_NAME_CHARS, null),
          optionalString(customer, "email", MAX_NAME_CHARS, null));
      return vertx.eventBus().<Conversation>request(Addresses.CREATE_CONVERSATION, command, requestOptions).map(Message::body);
    }).onSuccess(conversation -> reply(ctx, 201, Frames.conversation(conversation))).onFailure(e -> fail(ctx, e));
  }

  /**
   * A conversation as its member sees it; for a survey conversation also where the survey
   * stands: {@code survey} with {@code current_question_index}, {@code answers}, {@code status}
   * and the customer.
   */
  private void getConversation(RoutingContext ctx) {
    authenticated(ctx).compose(user -> {
      UUID conversationId = uuidOrNotFound(ctx.pathParam("id"));
      return vertx.eventBus().<SurveyContext>request(Addresses.SURVEY_CONTEXT, new SurveyContextRequest(conversationId, user.userId(), 0),
          requestOptions).map(Message::body);
    }).onSuccess(context -> {
      JsonObject body = Frames.conversation(context.conversation()).put("bot", Frames.botSummary(context.bot()));
      SurveyState survey = context.survey();
      if (survey != null) {
        body.put("survey", new JsonObject()
            .put("survey_id", context.bot().id().toString())
            .put("current_question_index", survey.currentQuestionIndex())
            .put("answers", new JsonObject(new java.util.LinkedHashMap<>(survey.answers())))
            .put("status", survey.status())
            .put("customer", new JsonObject().put("id", survey.customerId()).put("name", survey.customerName())
                .put("email", survey.customerEmail()))
            .put("ws_path", "/ws/" + context.conversation().id())
            .put("updated_at", survey.updatedAt().toString()));
      }
      reply(ctx, 200, body);
    }).onFailure(e -> fail(ctx, e));
  }

  private void listMessages(RoutingContext ctx) {
    authenticated(ctx).compose(user -> {
      UUID conversationId = uuidOrNotFound(ctx.pathParam("id"));
      Long afterSeq = longParam(ctx, "after_seq");
      Long beforeSeq = longParam(ctx, "before_seq");
      if (afterSeq != null && beforeSeq != null) {
        throw new BadRequest("INVALID_PARAMETER", "give after_seq or before_seq, not both");
      }
      Long limit = longParam(ctx, "limit");
      int pageLimit = limit == null ? config.historyPageSize() : (int) Math.max(1, Math.min(limit, Integer.MAX_VALUE));
      HistoryRequest request = new HistoryRequest(conversationId, user.userId(), afterSeq, beforeSeq, pageLimit);
      return vertx.eventBus().<HistoryPage>request(Addresses.HISTORY, request, requestOptions).map(Message::body);
    }).onSuccess(page -> {
      JsonArray messages = new JsonArray();
      page.messages().forEach(m -> messages.add(Frames.message(m)));
      reply(ctx, 200, new JsonObject().put("messages", messages).put("has_more", page.hasMore()));
    }).onFailure(e -> fail(ctx, e));
  }

  /** The owner adds a user by id: 201 when added, 200 when already a member. */
  private void addMember(RoutingContext ctx) {
    authenticated(ctx).compose(user -> {
      UUID conversationId = uuidOrNotFound(ctx.pathParam("id"));
      String member = requiredString(jsonBody(ctx), "user_id", MAX_NAME_CHARS);
      return changeMembership(new ChangeMembership(conversationId, user.userId(), member, true));
    }).onSuccess(changed -> reply(ctx, changed.changed() ? 201 : 200, membership(changed))).onFailure(e -> fail(ctx, e));
  }

  /** The owner removes a member: their sockets on every node are cut off at once. 204, or 404 when not a member. */
  private void removeMember(RoutingContext ctx) {
    authenticated(ctx).compose(user -> {
      UUID conversationId = uuidOrNotFound(ctx.pathParam("id"));
      String member = ctx.pathParam("user_id");
      if (member.equals(user.userId())) {
        throw new BadRequest("INVALID_MEMBER", "the owner cannot be removed from their conversation");
      }
      return changeMembership(new ChangeMembership(conversationId, user.userId(), member, false));
    }).onSuccess(changed -> {
      if (changed.changed()) {
        ctx.response().setStatusCode(204).end();
      } else {
        reply(ctx, 404, error("NOT_FOUND", "not a member"));
      }
    }).onFailure(e -> fail(ctx, e));
  }

  /**
   * The caller's conversations, most recently active first: {@code archived=false} (the
   * default) those they have not archived, {@code true} the archived ones, {@code all} both;
   * paged with {@code limit} and {@code offset}.
   */
  private void listConversations(RoutingContext ctx) {
    authenticated(ctx).compose(user -> {
      String filter = ctx.request().getParam("archived", "false");
      Boolean archived = switch (filter) {
        case "true" -> Boolean.TRUE;
        case "false" -> Boolean.FALSE;
        case "all" -> null;
        default -> throw new BadRequest("INVALID_PARAMETER", "archived must be true, false or all");
      };
      Long limit = longParam(ctx, "limit");
      Long offset = longParam(ctx, "offset");
      int pageLimit = limit == null ? config.conversationPageSize() : (int) Math.max(1, Math.min(limit, config.conversationPageMax()));
      if (offset != null && offset > Integer.MAX_VALUE) {
        throw new BadRequest("INVALID_PARAMETER", "offset is too large");
      }
      ListConversations request = new ListConversations(user.userId(), archived, pageLimit, offset == null ? 0 : offset.intValue());
      return vertx.eventBus().<ConversationList>request(Addresses.LIST_CONVERSATIONS, request, requestOptions).map(Message::body);
    }).onSuccess(page -> {
      JsonArray conversations = new JsonArray();
      page.conversations().forEach(entry -> conversations.add(Frames.conversation(entry.conversation())
          .put("archived", entry.archivedAt() != null)
          .put("archived_at", entry.archivedAt() == null ? null : entry.archivedAt().toString())));
      reply(ctx, 200, new JsonObject().put("conversations", conversations).put("has_more", page.hasMore()));
    }).onFailure(e -> fail(ctx, e));
  }

  /** A member archives (POST) or unarchives (DELETE) a conversation for themselves: 200 with the state; 404 when not a member. */
  private void setArchived(RoutingContext ctx, boolean archived) {
    authenticated(ctx).compose(user -> {
      UUID conversationId = uuidOrNotFound(ctx.pathParam("id"));
      return vertx.eventBus().<ArchiveState>request(Addresses.SET_ARCHIVED, new SetArchived(conversationId, user.userId(), archived), requestOptions)
          .map(Message::body);
    }).onSuccess(state -> reply(ctx, 200, new JsonObject().put("conversation_id", state.conversationId().toString())
        .put("archived", state.archived()).put("archived_at", state.archivedAt() == null ? null : state.archivedAt().toString())
        .put("changed", state.changed())))
        .onFailure(e -> fail(ctx, e));
  }

  private Future<MembershipChanged> changeMembership(ChangeMembership command) {
    return vertx.eventBus().<MembershipChanged>request(Addresses.CHANGE_MEMBERSHIP, command, requestOptions).map(Message::body);
  }

  private static JsonObject membership(MembershipChanged changed) {
    return new JsonObject().put("conversation_id", changed.conversationId().toString()).put("user_id", changed.userId()).put("member", changed.member());
  }

  private Future<Principal> authenticated(RoutingContext ctx) {
    return authenticator.authenticate(ctx.request());
  }

  static JsonObject jsonBody(RoutingContext ctx) {
    if (ctx.body() == null || ctx.body().length() == 0) {
      throw new BadRequest("INVALID_JSON", "a JSON object body is required");
    }
    try {
      return ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      throw new BadRequest("INVALID_JSON", "body is not a JSON object");
    }
  }

  static String requiredString(JsonObject body, String field, int maxChars) {
    String value = optionalString(body, field, maxChars, null);
    if (value == null || value.isBlank()) {
      throw new BadRequest("MISSING_FIELD", field + " is required");
    }
    return value;
  }

  private static String optionalString(JsonObject body, String field, int maxChars, String fallback) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String text)) {
      throw new BadRequest("INVALID_FIELD", field + " must be a string");
    }
    if (text.length() > maxChars) {
      throw new BadRequest("INVALID_FIELD", field + " is longer than " + maxChars + " characters");
    }
    return text;
  }

  private static UUID uuid(String value, String field) {
    try {
      return UUID.fromString(value);
    } catch (IllegalArgumentException e) {
      throw new BadRequest("INVALID_FIELD", field + " must be a UUID");
    }
  }

  static UUID uuidOrNotFound(String value) {
    try {
      return UUID.fromString(value);
    } catch (IllegalArgumentException e) {
      throw new NotFound();
    }
  }

  static Long longParam(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      long parsed = Long.parseLong(value);
      if (parsed < 0) {
        throw new NumberFormatException();
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new BadRequest("INVALID_PARAMETER", name + " must be a non-negative integer");
    }
  }

  static void reply(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  /** Every failure becomes a JSON body {"code", "message"} with the matching 4xx/5xx status. */
  public static void fail(RoutingContext ctx, Throwable e) {
    if (ctx.response().ended()) {
      return;
    }
    if (e instanceof AuthFailure auth) {
      reply(ctx, auth.forbidden() ? 403 : 401, error(auth.code(), auth.getMessage()));
    } else if (e instanceof BadRequest bad) {
      reply(ctx, 400, error(bad.code, bad.getMessage()));
    } else if (e instanceof NotFound || Failures.codeOf(e) == Failures.NOT_FOUND) {
      reply(ctx, 404, error("NOT_FOUND", "not found"));
    } else if (Failures.codeOf(e) == Failures.FORBIDDEN) {
      reply(ctx, 403, error("FORBIDDEN", e.getMessage()));
    } else if (Failures.codeOf(e) == Failures.CONFLICT) {
      reply(ctx, 409, error("CONFLICT", e.getMessage()));
    } else if (Failures.codeOf(e) == Failures.INVALID) {
      reply(ctx, 400, error("INVALID_REQUEST", e.getMessage()));
    } else {
      log.warn("request {} {} failed: {}", ctx.request().method(), ctx.request().path(), e.toString());
      reply(ctx, 503, error("UNAVAILABLE", "the service could not complete the request; retry shortly"));
    }
  }

  public static JsonObject error(String code, String message) {
    return new JsonObject(Map.of("code", code, "message", message));
  }

  static final class BadRequest extends RuntimeException {
    final String code;

    BadRequest(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  static final class NotFound extends RuntimeException {
    NotFound() {
      super("not found", null, false, false);
    }
  }
}
