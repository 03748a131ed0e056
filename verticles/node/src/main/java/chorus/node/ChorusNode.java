package chorus.node;

import chorus.ai.AiVerticle;
import chorus.gateway.GatewayVerticle;
import chorus.persistence.PersistenceVerticle;
import chorus.presence.PresenceVerticle;
import chorus.shared.bus.PayloadCodecs;
import chorus.shared.metrics.NodeMetrics;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Chorus node: a clustered Vert.x (Hazelcast) running the verticles of its roles.
 * Used by Main, and by the tests to run several real nodes in one JVM.
 */
public final class ChorusNode {
  private static final Logger log = LoggerFactory.getLogger(ChorusNode.class);

  private final Vertx vertx;
  private final HazelcastClusterManager clusterManager;
  private final String nodeId;
  private final String nodeInstance;
  private final GatewayVerticle gateway;

  private ChorusNode(Vertx vertx, HazelcastClusterManager clusterManager, String nodeId, String nodeInstance, GatewayVerticle gateway) {
    this.vertx = vertx;
    this.clusterManager = clusterManager;
    this.nodeId = nodeId;
    this.nodeInstance = nodeInstance;
    this.gateway = gateway;
  }

  /** Fills in what the config leaves to the node (its id), so every verticle sees the same values. */
  public static JsonObject complete(JsonObject config) {
    JsonObject completed = config.copy();
    JsonObject node = completed.getJsonObject("node");
    if (node.getString("id", "").isBlank()) {
      node.put("id", "node-" + UUID.randomUUID().toString().substring(0, 8));
    }
    // This process's run of the node: presence keys sockets by it and Hazelcast members carry
    // it, so a node restarted under the same id (a rolling restart, a pod rescheduled) is never
    // mistaken for its dead predecessor, whose sockets the cluster forgets when it notices.
    node.put("instance", node.getString("id") + "#" + UUID.randomUUID().toString().substring(0, 8));
    return completed;
  }

  public static Future<ChorusNode> start(JsonObject rawConfig, Set<NodeRole> roles, VertxOptions vertxOptions) {
    return start(rawConfig, roles, vertxOptions, null);
  }

  /** @param metrics a metrics SPI implementation for this node's Vert.x, or null */
  public static Future<ChorusNode> start(JsonObject rawConfig, Set<NodeRole> roles, VertxOptions vertxOptions, VertxMetricsFactory metrics) {
    JsonObject config = complete(rawConfig);
    String nodeId = config.getJsonObject("node").getString("id");
    String nodeInstance = config.getJsonObject("node").getString("instance");
    JsonObject cluster = config.getJsonObject("cluster", new JsonObject());
    HazelcastClusterManager clusterManager;
    try {
      clusterManager = new HazelcastClusterManager(HazelcastSetup.build(cluster, nodeInstance));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    vertxOptions.getEventBusOptions().setHost(cluster.getString("host", "127.0.0.1")).setPort(0);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("node", nodeId);
    NodeMetrics nodeMetrics = new NodeMetrics(registry, registry::scrape);
    GatewayVerticle gateway = roles.contains(NodeRole.GATEWAY) ? new GatewayVerticle(nodeMetrics) : null;
    VertxBuilder builder = Vertx.builder().withClusterManager(clusterManager);
    if (metrics != null) {
      // a test's own metrics SPI (it counts SQL queries); Chorus's meters still go to the registry
      vertxOptions.setMetricsOptions(new MetricsOptions().setEnabled(true));
      builder.with(vertxOptions).withMetrics(metrics);
    } else {
      // Vert.x's event-bus, HTTP, pool and JVM meters in the same registry; a name of its own,
      // since Vert.x keeps registries by name per JVM and tests run several nodes in one
      vertxOptions.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
          .setRegistryName("chorus-" + nodeId + "-" + UUID.randomUUID()));
      builder.with(vertxOptions).withMetrics(new MicrometerMetricsFactory(registry));
    }
    return builder.buildClustered().compose(vertx -> {
      PayloadCodecs.install(vertx);
      DeploymentOptions options = new DeploymentOptions().setConfig(config);
      HazelcastInstance hazelcast = clusterManager.getHazelcastInstance();
      // persistence first (it migrates the schema), the gateway last (it opens the door)
      Future<?> deployed = Future.succeededFuture();
      for (NodeRole role : NodeRole.values()) {
        if (roles.contains(role)) {
          Supplier<Deployable> verticle = switch (role) {
            case PERSISTENCE -> () -> new PersistenceVerticle(nodeMetrics);
            case PRESENCE -> () -> new PresenceVerticle(hazelcast);
            case AI -> () -> new AiVerticle(nodeMetrics);
            case GATEWAY -> () -> gateway;
          };
          deployed = deployed.compose(v -> vertx.deployVerticle(verticle.get(), options)
              .onFailure(e -> log.error("could not start the {} role: {}", role.name().toLowerCase(), e.getMessage())));
        }
      }
      return deployed
          .map(v -> new ChorusNode(vertx, clusterManager, nodeId, nodeInstance, gateway))
          .recover(e -> vertx.close().transform(ignored -> Future.failedFuture(e)));
    });
  }

  public Vertx vertx() {
    return vertx;
  }

  public String nodeId() {
    return nodeId;
  }

  /** This run of the node ({@code <node id>#<random>}): how presence and reply-job leases name it. */
  public String nodeInstance() {
    return nodeInstance;
  }

  public HazelcastInstance hazelcast() {
    return clusterManager.getHazelcastInstance();
  }

  /** The HTTP port the gateway bound, or -1 without the gateway role. */
  public int httpPort() {
    return gateway == null ? -1 : gateway.actualPort();
  }

  /** Clean stop: verticles stop, sockets close, the member leaves the cluster. */
  public Future<Void> close() {
    return vertx.close();
  }

  /**
   * Dies without saying goodbye, as a SIGKILL would look to the rest of the cluster: the
   * Hazelcast member is terminated (no graceful leave), then the local resources go.
   */
  public Future<Void> kill() {
    clusterManager.getHazelcastInstance().getLifecycleService().terminate();
    return vertx.close().otherwiseEmpty();
  }
}
