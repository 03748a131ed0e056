package chorus.gateway.profile;

import chorus.gateway.LogRedaction;
import chorus.gateway.auth.Principal;
import chorus.gateway.socket.NodeSockets;
import chorus.shared.Addresses;
import chorus.shared.bus.ConnectContext;
import chorus.shared.bus.ConnectContextRequest;
import chorus.shared.bus.PresenceChanged;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The conversation profile ({@code /api/v1/conversations/{conversation_id}/ws}, seed 000):
 * authenticate, load user + conversation + bot once (one query), acknowledge, then
 * {@code user_message} in, {@code message_received} / {@code assistant_message} out. The
 * document's future enhancements are opt-in on the URL ({@link ConversationOptions}: typing,
 * presence, history on connect), so a client written against it sees only its frames.
 */
public final class ConversationProfile {
  static final Logger log = LoggerFactory.getLogger(ConversationProfile.class);
  public static final String NAME = "conversation";

  private final SocketServices services;
  /** This node's sockets that opted into presence (?presence=true), by user. */
  private final Map<String, Set<ConversationSocket>> presenceWatchers = new HashMap<>();

  public ConversationProfile(SocketServices services) {
    this.services = services;
  }

  /**
   * One consumer per node for presence changes, whatever the number of sockets (as the
   * user profile's): a change reaches the watching sockets of the users in its audience.
   */
  public Future<Void> listenForPresence() {
    return services.vertx().eventBus().<PresenceChanged>consumer(Addresses.PRESENCE_CHANGES, message -> {
      PresenceChanged change = message.body();
      for (String viewer : change.audience()) {
        Set<ConversationSocket> sockets = presenceWatchers.get(viewer);
        if (sockets != null) {
          for (ConversationSocket socket : sockets.toArray(ConversationSocket[]::new)) {
            socket.presenceChanged(change);
          }
        }
      }
    }).completion();
  }

  void watchPresence(String userId, ConversationSocket socket) {
    presenceWatchers.computeIfAbsent(userId, u -> new LinkedHashSet<>()).add(socket);
  }

  void unwatchPresence(String userId, ConversationSocket socket) {
    Set<ConversationSocket> sockets = presenceWatchers.get(userId);
    if (sockets != null && sockets.remove(socket) && sockets.isEmpty()) {
      presenceWatchers.remove(userId);
    }
  }

  public void handle(HttpServerRequest request, String conversationIdParam) {
    String uri = LogRedaction.uri(request.uri());
    // Authenticate before the upgrade completes, then report every refusal the way the
    // document does: an error frame on the open socket, then a close with a 4xxx code.
    Future<Principal> principal = services.authenticator().authenticate(request);
    String resumeFrom = request.getParam("last_seq");
    boolean streaming = ReplyControl.streamingRequested(request.getParam("stream"));
    Future<ConversationOptions> options = ConversationOptions.parse(request, services.config().connectHistoryMax());
    ConnectTimer timer = new ConnectTimer(services.meters(), NAME);
    request.toWebSocket()
        .compose(ws -> services.sockets().admit(ws, NAME, Frames.error(NodeSockets.ERROR_CODE, NodeSockets.ERROR_MESSAGE).encode()))
        .onSuccess(ws -> timer.passed(ConnectTimer.UPGRADE))
        .onSuccess(ws -> principal
        .onSuccess(user -> timer.passed(ConnectTimer.AUTH))
        .compose(user -> options.map(user))
        .compose(user -> load(conversationIdParam, user).map(context -> new Accepted(user, context)))
        .onSuccess(accepted -> timer.passed(ConnectTimer.CONTEXT))
        .compose(accepted -> startSeq(resumeFrom, accepted.context()).map(start -> {
          new ConversationSocket(services, this, ws, accepted.user(), accepted.context(), start, options.result(), streaming, timer).start();
          return accepted;
        }))
        .onFailure(e -> refuse(ws, e, uri)))
        .onFailure(e -> log.debug("websocket upgrade failed for {}: {}", uri, e.toString()));
  }

  /**
   * Where the socket's stream starts: after the client's {@code last_seq} when it resumes
   * (everything after it is replayed, then the live stream), else at the newest message.
   */
  static Future<Long> startSeq(String lastSeqParam, ConnectContext context) {
    long committed = context.conversation().lastSeq();
    if (lastSeqParam == null || lastSeqParam.isEmpty()) {
      return Future.succeededFuture(committed);
    }
    try {
      long lastSeq = Long.parseLong(lastSeqParam);
      if (lastSeq < 0) {
        throw new NumberFormatException();
      }
      return Future.succeededFuture(Math.min(lastSeq, committed));
    } catch (NumberFormatException e) {
      return Future.failedFuture(new InvalidParameter("last_seq must be a non-negative integer"));
    }
  }

  private Future<ConnectContext> load(String conversationIdParam, Principal user) {
    return ConnectRefusal.conversationId(conversationIdParam)
        .compose(conversationId -> services.retried()
            .<ConnectContext>ask(Addresses.CONNECT_CONTEXT, new ConnectContextRequest(conversationId, user.userId())))
        .recover(ConnectRefusal::notFoundIfMissing);
  }

  private void refuse(ServerWebSocket ws, Throwable failure, String uri) {
    ConnectRefusal.Refusal refusal;
    if (failure instanceof InvalidParameter invalid) {
      refusal = new ConnectRefusal.Refusal(Frames.error("INVALID_PARAMETER", invalid.getMessage()), CloseCodes.POLICY_VIOLATION);
    } else if (failure instanceof ConnectRefusal.NotFound) {
      refusal = new ConnectRefusal.Refusal(Frames.error("NOT_FOUND", "conversation not found"), CloseCodes.FORBIDDEN);
    } else {
      refusal = ConnectRefusal.authOrUnavailable(failure, log, uri);
    }
    ConnectRefusal.send(ws, log, NAME, services.config().nodeId(), refusal, refusal.frame().getString("code"));
  }

  private record Accepted(Principal user, ConnectContext context) {}

  static final class InvalidParameter extends RuntimeException {
    InvalidParameter(String message) {
      super(message, null, false, false);
    }
  }
}
