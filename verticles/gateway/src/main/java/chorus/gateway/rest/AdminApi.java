package chorus.gateway.rest;

import chorus.gateway.GatewayConfig;
import chorus.gateway.auth.AuthFailure;
import chorus.gateway.auth.Authenticator;
import chorus.gateway.auth.Principal;
import chorus.gateway.auth.TokenSource;
import chorus.gateway.profile.ConversationProfile;
import chorus.gateway.profile.SurveyProfile;
import chorus.gateway.profile.UserProfile;
import chorus.gateway.socket.NodeSockets;
import chorus.shared.node.NodeControl;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's admin endpoints, for the ops scripts: {@code GET /admin/status} (what this node
 * is doing) and {@code POST /admin/drain} (the same drain as SIGTERM). A token with
 * {@code role=admin}, in the Authorization header only: a cookie would let any page the
 * admin visits drain the node.
 */
public final class AdminApi {
  private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
  private static final List<String> PROFILES = List.of(ConversationProfile.NAME, UserProfile.NAME, SurveyProfile.NAME);

  private final GatewayConfig config;
  private final Authenticator authenticator;
  private final NodeControl node;
  private final NodeSockets sockets;

  public AdminApi(GatewayConfig config, Authenticator authenticator, NodeControl node, NodeSockets sockets) {
    this.config = config;
    this.authenticator = authenticator;
    this.node = node;
    this.sockets = sockets;
  }

  public void mount(Router router) {
    router.get("/admin/status").handler(this::status);
    router.post("/admin/drain").handler(this::drain);
  }

  private void status(RoutingContext ctx) {
    admin(ctx).compose(admin -> node.cluster()).onSuccess(cluster -> {
      JsonObject perProfile = new JsonObject();
      Map<String, Integer> open = sockets.openByProfile();
      PROFILES.forEach(profile -> perProfile.put(profile, open.getOrDefault(profile, 0)));
      RestApi.reply(ctx, 200, new JsonObject()
          .put("node_id", config.nodeId())
          .put("instance", config.nodeInstance())
          .put("pid", ProcessHandle.current().pid())
          .put("state", node.draining() ? "draining" : "ready")
          .put("cluster_size", cluster.size())
          // what the JVM sized its thread pools for: the machine's cores, a container's CPU limit, or -XX:ActiveProcessorCount
          .put("cpus", Runtime.getRuntime().availableProcessors())
          .put("sockets", perProfile)
          .put("sockets_by_event_loop", new JsonObject(new java.util.TreeMap<String, Object>(sockets.openByEventLoop())))
          .put("uptime_ms", node.uptimeMs()));
    }).onFailure(e -> RestApi.fail(ctx, e));
  }

  /** 202 at once, every time: the drain runs on, and the process exits when it is done. */
  private void drain(RoutingContext ctx) {
    admin(ctx).onSuccess(admin -> {
      if (!node.draining()) {
        log.info("drain asked for by admin {} on node {}", admin.userId(), config.nodeId());
      }
      node.drain().onFailure(e -> log.warn("drain of node {} failed: {}", config.nodeId(), e.toString()));
      RestApi.reply(ctx, 202, new JsonObject().put("state", "draining"));
    }).onFailure(e -> RestApi.fail(ctx, e));
  }

  private Future<Principal> admin(RoutingContext ctx) {
    return authenticator.authenticate(ctx.request()).compose(principal -> {
      if (principal.source() != TokenSource.HEADER) {
        return Future.failedFuture(new AuthFailure("AUTH_REQUIRED", "admin endpoints take the token in Authorization: Bearer", false));
      }
      if (!principal.isAdmin()) {
        return Future.failedFuture(new AuthFailure("FORBIDDEN", "an admin token (role admin) is required", true));
      }
      return Future.succeededFuture(principal);
    });
  }
}
