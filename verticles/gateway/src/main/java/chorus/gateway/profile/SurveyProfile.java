package chorus.gateway.profile;

import chorus.gateway.LogRedaction;
import chorus.gateway.auth.Principal;
import chorus.gateway.socket.NodeSockets;
import chorus.gateway.survey.SurveyScript;
import chorus.shared.Addresses;
import chorus.shared.bus.SurveyContext;
import chorus.shared.bus.SurveyContextRequest;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The survey profile ({@code /ws/{conversation_id}}, seed 004): a scripted survey bot asks
 * its questions one after another. The conversation id is the capability (a random UUIDv4
 * given to the customer); a token ({@code ?token=} or {@code Authorization: Bearer}) is accepted
 * too, and then the user must be a member. Without a token only a survey conversation can be opened.
 */
public final class SurveyProfile {
  static final Logger log = LoggerFactory.getLogger(SurveyProfile.class);
  public static final String NAME = "survey";

  private final SocketServices services;

  public SurveyProfile(SocketServices services) {
    this.services = services;
  }

  public void handle(HttpServerRequest request, String conversationIdParam) {
    String uri = LogRedaction.uri(request.uri());
    // a token given on purpose (query or header); the auth cookie is not looked at, so that a
    // logged-in browser opening a customer's survey link is not refused as a non-member
    boolean hasToken = request.getParam("token") != null || request.getHeader("Authorization") != null;
    Future<Principal> principal = hasToken ? services.authenticator().authenticate(request) : Future.succeededFuture(null);
    boolean reconnect = "true".equalsIgnoreCase(request.getParam("reconnect"));
    ConnectTimer timer = new ConnectTimer(services.meters(), NAME);
    request.toWebSocket()
        .compose(ws -> services.sockets().admit(ws, NAME, Frames.error(NodeSockets.ERROR_CODE, NodeSockets.ERROR_MESSAGE).encode()))
        .onSuccess(ws -> timer.passed(ConnectTimer.UPGRADE))
        .onSuccess(ws -> principal
            .onSuccess(user -> timer.passed(ConnectTimer.AUTH))
            .compose(user -> load(conversationIdParam, user).map(context -> {
              timer.passed(ConnectTimer.CONTEXT);
              SurveyScript script = SurveyScript.fromSettings(context.bot().settings());
              if (context.survey() == null || script == null) {
                throw new ConnectRefusal.NotFound();
              }
              new SurveySocket(services, ws, user, context, script, reconnect, timer).start();
              return context;
            }))
            .onFailure(e -> refuse(ws, e, uri)))
        .onFailure(e -> log.debug("websocket upgrade failed for {}: {}", uri, e.toString()));
  }

  /** Enough messages for any survey: each question asked once and answered once, and the closing message. */
  int messageLimit() {
    return 2 * services.config().surveyMaxQuestions() + 2;
  }

  private Future<SurveyContext> load(String conversationIdParam, Principal user) {
    return ConnectRefusal.conversationId(conversationIdParam)
        .compose(conversationId -> services.vertx().eventBus()
            .<SurveyContext>request(Addresses.SURVEY_CONTEXT,
                new SurveyContextRequest(conversationId, user == null ? null : user.userId(), messageLimit()), services.requestOptions()))
        .map(Message::body)
        .recover(ConnectRefusal::notFoundIfMissing);
  }

  /** Not found: missing, not a survey, or (with a token) not the user's. */
  private void refuse(ServerWebSocket ws, Throwable failure, String uri) {
    ConnectRefusal.Refusal refusal = failure instanceof ConnectRefusal.NotFound
        ? new ConnectRefusal.Refusal(Frames.error("NOT_FOUND", "Conversation not found"), CloseCodes.NOT_FOUND)
        : ConnectRefusal.authOrUnavailable(failure, log, uri);
    ConnectRefusal.send(ws, log, NAME, services.config().nodeId(), refusal, refusal.frame().getString("message"));
  }
}
