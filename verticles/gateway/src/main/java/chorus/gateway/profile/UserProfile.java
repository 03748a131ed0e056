package chorus.gateway.profile;

import chorus.gateway.auth.AuthFailure;
import chorus.gateway.socket.NodeSockets;
import chorus.shared.Addresses;
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
 * The user profile ({@code /ws/auth?token=}, seed 002): one socket per device, many
 * conversations. The document's {@code /ws/{user_id}} (identity in the URL, no token) is
 * not offered. This node's user sockets are indexed by user, so that a presence change
 * (one cluster-wide event per change) reaches exactly the local devices allowed to see it.
 */
public final class UserProfile {
  static final Logger log = LoggerFactory.getLogger(UserProfile.class);
  public static final String NAME = "user";

  private final SocketServices services;
  private final Map<String, Set<UserSocket>> socketsByUser = new HashMap<>();
  /** Unfinished uploads of all this node's user sockets, in memory. */
  final UploadBudget uploadBudget;

  public UserProfile(SocketServices services) {
    this.services = services;
    this.uploadBudget = new UploadBudget(services.config().content().maxBufferedBytesPerNode());
  }

  /** One consumer per node for presence changes, whatever the number of sockets. */
  public Future<Void> listenForPresence() {
    return services.vertx().eventBus().<PresenceChanged>consumer(Addresses.PRESENCE_CHANGES, message -> {
      PresenceChanged change = message.body();
      for (String viewer : change.audience()) {
        Set<UserSocket> sockets = socketsByUser.get(viewer);
        if (sockets != null) {
          sockets.forEach(socket -> socket.presenceChanged(change));
        }
      }
    }).completion();
  }

  public void handle(HttpServerRequest request) {
    var principal = services.authenticator().authenticate(request);
    boolean streaming = ReplyControl.streamingRequested(request.getParam("stream"));
    ConnectTimer timer = new ConnectTimer(services.meters(), NAME);
    request.toWebSocket()
        .compose(ws -> services.sockets().admit(ws, NAME, Frames.error(NodeSockets.ERROR_CODE, NodeSockets.ERROR_MESSAGE).put("timestamp", Frames.now()).encode()))
        .onSuccess(ws -> timer.passed(ConnectTimer.UPGRADE))
        .onSuccess(ws -> principal
        .onSuccess(user -> timer.passed(ConnectTimer.AUTH))
        .onSuccess(user -> new UserSocket(services, ws, user, this, streaming, timer).start())
        .onFailure(e -> refuse(ws, e)));
  }

  void register(UserSocket socket) {
    socketsByUser.computeIfAbsent(socket.userId(), u -> new LinkedHashSet<>()).add(socket);
  }

  void unregister(UserSocket socket) {
    Set<UserSocket> sockets = socketsByUser.get(socket.userId());
    if (sockets != null && sockets.remove(socket) && sockets.isEmpty()) {
      socketsByUser.remove(socket.userId());
    }
  }

  private void refuse(ServerWebSocket ws, Throwable failure) {
    AuthFailure auth = failure instanceof AuthFailure a ? a : new AuthFailure("AUTH_FAILED", "authentication failed", false);
    log.info("ws refused profile={} reason={} node={}", NAME, auth.code(), services.config().nodeId());
    ws.writeTextMessage(Frames.error(auth.code(), auth.getMessage()).put("timestamp", Frames.now()).encode())
        .eventually(() -> ws.close(auth.forbidden() ? CloseCodes.FORBIDDEN : CloseCodes.AUTH_FAILED, auth.code()));
  }
}
