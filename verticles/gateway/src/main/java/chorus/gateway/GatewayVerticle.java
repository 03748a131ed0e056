package chorus.gateway;

import chorus.gateway.socket.NodeSockets;
import chorus.shared.bus.PayloadCodecs;
import chorus.shared.metrics.NodeMetrics;
import chorus.shared.node.NodeControl;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP and WebSocket front door of a node: authentication, wire profiles, per-socket state,
 * REST, health. It runs {@code http.instances} {@link GatewayServer}s, one per event loop, on
 * the one port (each new connection goes to the next in turn), so a node writes to its sockets
 * from as many cores as it has; a single event loop capped a node's fan-out. This verticle
 * holds what is counted or decided once for the node: the open sockets and their cap, the
 * drain, the meters, the append routing and the presence client (whose token leases are per
 * user, not per event loop).
 */
public final class GatewayVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(GatewayVerticle.class);

  /** The body of a WebSocket upgrade refused because the node drains (a load balancer retries it on another node). */
  public static final String DRAINING_CODE = "DRAINING";

  /** What every instance shares: built once in {@link #start}, safe from any event loop. */
  record NodeParts(
      GatewayConfig config,
      NodeMetrics metrics,
      NodeControl control,
      GatewayMeters meters,
      NodeSockets sockets,
      RetriedRequests retried,
      PresenceClient presence,
      AppendRouting appends,
      DeliveryOptions requestOptions) {}

  private final NodeMetrics metrics;
  private final NodeControl node;
  private final List<GatewayServer> servers = new CopyOnWriteArrayList<>();
  private NodeParts parts;

  /**
   * @param metrics the node's meters; {@code GET /metrics} serves their Prometheus text
   * @param node the node as a whole: cluster state and draining for readiness, the admin endpoints
   */
  public GatewayVerticle(NodeMetrics metrics, NodeControl node) {
    this.metrics = metrics;
    this.node = node;
  }

  @Override
  public Future<?> start() {
    PayloadCodecs.install(vertx);
    GatewayConfig config;
    try {
      config = GatewayConfig.from(config());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    GatewayMeters meters = new GatewayMeters(metrics.registry(), config.nodeId());
    RetriedRequests retried = new RetriedRequests(vertx, config);
    parts = new NodeParts(config, metrics, node, meters, new NodeSockets(vertx, config.socketLimits(), meters), retried,
        new PresenceClient(vertx, config, retried), new AppendRouting(vertx),
        new DeliveryOptions().setSendTimeout(config.requestTimeoutMs()));
    int instances = config.instances();
    // Vert.x shares one listening socket among servers of a Vertx that ask for the same port;
    // port 0 would give each its own random port, a negative one is a random port they share
    int port = config.port() == 0 ? -1 : config.port();
    List<Future<GatewayServer>> started = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      started.add(deployServer(port));
    }
    return Future.all(started).onSuccess(all -> log.info("gateway listening on {}:{} node={} event loops={}", config.host(), actualPort(),
        config.nodeId(), instances));
  }

  /** A child deployment: undeployed with this verticle. */
  private Future<GatewayServer> deployServer(int port) {
    GatewayServer server = new GatewayServer(parts, port);
    return vertx.deployVerticle(metrics.loops().counted("gateway-server", server), new DeploymentOptions().setConfig(config())).map(id -> {
      servers.add(server);
      return server;
    });
  }

  /**
   * The node drains: every open socket is sent away (its profile's notice, then close 1012),
   * spread over {@code drain.spreadMs}; new upgrades are already refused (the node says it is
   * draining). Then the HTTP servers stop listening and let the REST requests under way finish
   * (at most limits.requestTimeoutMs). Completes when this node holds no connection. Callable
   * from any thread.
   */
  public Future<Void> drain() {
    Promise<Void> drained = Promise.promise();
    context.runOnContext(v -> parts.sockets().drain(parts.config().drainSpreadMs())
        .compose(closed -> Future.all(servers.stream().map(server -> server.shutdown(parts.config().requestTimeoutMs())).toList()))
        .<Void>mapEmpty()
        .onComplete(drained));
    return drained.future();
  }

  /** The port actually bound (useful when configured as 0), or -1 before the gateway listens. */
  public int actualPort() {
    return servers.isEmpty() ? -1 : servers.get(0).actualPort();
  }
}
