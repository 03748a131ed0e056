package chorus.gateway;

import chorus.gateway.auth.Authenticator;
import chorus.gateway.auth.JwtKeys;
import chorus.gateway.feed.ConversationFeeds;
import chorus.gateway.profile.ConversationProfile;
import chorus.gateway.profile.SocketServices;
import chorus.gateway.profile.SurveyProfile;
import chorus.gateway.profile.UserProfile;
import chorus.gateway.rest.AdminApi;
import chorus.gateway.rest.RestApi;
import chorus.shared.Addresses;
import chorus.shared.bus.Ping;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's share of the gateway: an HTTP server on the node's port (Vert.x hands each
 * new connection to the next instance in turn), the wire profiles and the conversation feeds
 * of the sockets it accepted. Everything a socket does runs on its instance's event loop;
 * what must be counted or decided for the node as a whole comes from {@link GatewayVerticle}.
 */
final class GatewayServer extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

  /** The survey document's browser test client, a gateway resource (Vert.x resolves it from the classpath). */
  private static final String SURVEY_TEST_PAGE = "webroot/survey-test.html";

  private final GatewayVerticle.NodeParts node;
  /** The port to listen on: the configured one, or -1 for a random one shared by the node's instances. */
  private final int port;
  private HttpServer server;
  private ConversationFeeds feeds;

  GatewayServer(GatewayVerticle.NodeParts node, int port) {
    this.node = node;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    GatewayConfig config = node.config();
    Authenticator authenticator;
    try {
      authenticator = new Authenticator(JwtKeys.create(vertx, config.jwt()), config.cookieName(), config.allowedOrigins());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    feeds = new ConversationFeeds(vertx, config.historyPageSize(), config.gapFillDelayMs(), config.subscriptionSettleMs(), config.tailCheckMs(),
        node.retried(), node.meters());
    SocketServices services = new SocketServices(vertx, config, authenticator, feeds, node.presence(), node.retried(), node.appends(),
        node.requestOptions(), node.sockets(), node.meters());
    ConversationProfile conversationProfile = new ConversationProfile(services);
    UserProfile userProfile = new UserProfile(services);
    SurveyProfile surveyProfile = new SurveyProfile(services);

    Router router = Router.router(vertx);
    // a draining node takes no new socket, on any profile: 503 before the upgrade, which a
    // load balancer may retry on another node (nginx: proxy_next_upstream http_503)
    router.route().handler(ctx -> {
      if (node.control().draining() && ctx.request().headers().contains("Upgrade", "websocket", true)) {
        ctx.response().setStatusCode(503).putHeader("content-type", "application/json").putHeader("Retry-After", "1")
            .end(drainingBody().encode());
      } else {
        ctx.next();
      }
    });
    router.get("/api/v1/conversations/:conversation_id/ws")
        .handler(ctx -> conversationProfile.handle(ctx.request(), ctx.pathParam("conversation_id")));
    router.get("/ws/auth").handler(ctx -> userProfile.handle(ctx.request()));
    // after every fixed /ws/... path: a single segment that is not one of them is a survey conversation id.
    // Only WebSocket upgrades: a plain GET falls through to 404, so /ws/{user_id} (seed 002's insecure
    // shortcut, not offered) still reads as no such endpoint.
    router.get("/ws/:conversation_id").handler(ctx -> {
      if (ctx.request().headers().contains("Upgrade", "websocket", true)) {
        surveyProfile.handle(ctx.request(), ctx.pathParam("conversation_id"));
      } else {
        ctx.next();
      }
    });
    // the browser test client of the survey document, from the gateway's resources
    router.get("/survey-test.html").handler(ctx -> ctx.response().putHeader("content-type", "text/html; charset=utf-8")
        .sendFile(SURVEY_TEST_PAGE).onFailure(ctx::fail));
    new RestApi(vertx, config, authenticator, node.requestOptions()).mount(router);
    new AdminApi(config, authenticator, node.control(), node.sockets()).mount(router);
    mountHealth(router);
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .end(node.metrics().prometheusText().get()));
    router.route().last().handler(ctx -> ctx.response().setStatusCode(404)
        .putHeader("content-type", "application/json").end(RestApi.error("NOT_FOUND", "no such endpoint").encode()));
    router.errorHandler(500, ctx -> RestApi.fail(ctx, ctx.failure() == null ? new IllegalStateException("failed") : ctx.failure()));

    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.host())
        .setPort(port)
        // what the kernel may buffer for a client that does not read, besides limits.writeQueueMaxBytes (-1: the OS's)
        .setSendBufferSize(config.socketLimits().socketSendBufferSize())
        // frames and whole messages over the limit are refused by the codec; see ConversationSocket for the close
        .setMaxWebSocketFrameSize(config.maxFrameBytes())
        .setMaxWebSocketMessageSize(config.maxFrameBytes())
        // compression stays off: an inflated message could exceed every limit set above
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false)
        .setCompressionSupported(false);
    return userProfile.listenForPresence().compose(v -> conversationProfile.listenForPresence())
        .compose(v -> vertx.createHttpServer(options).requestHandler(router).listen())
        .onSuccess(s -> {
          server = s;
          log.debug("gateway instance listening on {}:{} node={}", config.host(), s.actualPort(), config.nodeId());
        });
  }

  private void mountHealth(Router router) {
    // live: this process answers HTTP on its event loop, so it is not wedged
    HealthChecks live = HealthChecks.create(vertx);
    live.register("event-loop", promise -> promise.complete(Status.OK()));
    router.get("/health/live").handler(HealthCheckHandler.createWithHealthChecks(live));
    HealthChecks ready = HealthChecks.create(vertx);
    ready.register("database", 3000, promise -> vertx.eventBus()
        .request(Addresses.DATABASE_PING, new Ping(), new DeliveryOptions().setSendTimeout(2500))
        .onSuccess(reply -> promise.tryComplete(Status.OK()))
        .onFailure(e -> promise.tryComplete(Status.KO(new JsonObject().put("reason", "database unreachable: " + e.getMessage())))));
    ready.register("cluster", 3000, promise -> node.control().cluster()
        .onSuccess(cluster -> promise.tryComplete(!cluster.joined()
            ? Status.KO(new JsonObject().put("reason", "not a member of the cluster"))
            : !cluster.safe()
                ? Status.KO(new JsonObject().put("reason", "cluster not safe: partitions are migrating").put("cluster_size", cluster.size()))
                : Status.OK(new JsonObject().put("cluster_size", cluster.size()))))
        .onFailure(e -> promise.tryComplete(Status.KO(new JsonObject().put("reason", "cluster state unknown: " + e.getMessage())))));
    ready.register("draining", promise -> promise.complete(node.control().draining()
        ? Status.KO(new JsonObject().put("reason", "node is draining")) : Status.OK()));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(ready));
  }

  /** {@code {"code": "DRAINING", "message": ...}}, the shape of every REST error. */
  private static JsonObject drainingBody() {
    return RestApi.error(GatewayVerticle.DRAINING_CODE, "this node is draining; connect again (another node will take the connection)");
  }

  /** The port bound, once started. */
  int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  /** Stops listening and lets the REST requests under way finish (at most {@code timeoutMs}). Callable from any thread. */
  Future<Void> shutdown(long timeoutMs) {
    return server == null ? Future.succeededFuture() : server.shutdown(timeoutMs, TimeUnit.MILLISECONDS);
  }

  @Override
  public Future<?> stop() {
    return feeds == null ? Future.succeededFuture() : feeds.closeAll();
  }
}
