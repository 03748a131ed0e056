package chorus.node;

import chorus.ai.AiVerticle;
import chorus.gateway.GatewayVerticle;
import chorus.persistence.PersistenceVerticle;
import chorus.presence.PresenceVerticle;
import chorus.shared.bus.PayloadCodecs;
import chorus.shared.metrics.NodeMetrics;
import chorus.shared.node.NodeControl;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
  private final Control control;

  private ChorusNode(Vertx vertx, HazelcastClusterManager clusterManager, String nodeId, String nodeInstance, Control control) {
    this.vertx = vertx;
    this.clusterManager = clusterManager;
    this.nodeId = nodeId;
    this.nodeInstance = nodeInstance;
    this.control = control;
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
    HazelcastSetup.completeFuturesOnPooledThreads();
    try {
      clusterManager = new LiveNodesClusterManager(HazelcastSetup.build(cluster, nodeInstance));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    vertxOptions.getEventBusOptions().setHost(cluster.getString("host", "127.0.0.1")).setPort(0);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("node", nodeId);
    NodeMetrics nodeMetrics = new NodeMetrics(registry, registry::scrape);
    Control control;
    long lagProbeMs;
    try {
      control = new Control(nodeInstance, clusterManager, NodeConfig.drainTimeoutMs(config));
      lagProbeMs = NodeConfig.eventLoopLagProbeMs(config);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    GatewayVerticle gateway = roles.contains(NodeRole.GATEWAY) ? new GatewayVerticle(nodeMetrics, control) : null;
    VertxBuilder builder = Vertx.builder().withClusterManager(clusterManager);
    if (metrics != null) {
      // a test's own metrics SPI (it counts SQL queries); Chorus's meters still go to the registry
      vertxOptions.setMetricsOptions(new MetricsOptions().setEnabled(true));
      builder.with(vertxOptions).withMetrics(metrics);
    } else {
      // Vert.x's HTTP, pool and JVM meters in the same registry; a name of its own, since
      // Vert.x keeps registries by name per JVM and tests run several nodes in one
      MicrometerMetricsOptions micrometer = new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
          .setRegistryName("chorus-" + nodeId + "-" + UUID.randomUUID());
      if (!NodeConfig.vertxEventBusMeters(config)) {
        // they look up and build several meters per message: 5-8% of a loaded node's profile
        // samples and 7% of the AI node's allocation, for totals by local/remote side only
        micrometer.addDisabledMetricsCategory(MetricsDomain.EVENT_BUS);
      }
      vertxOptions.setMetricsOptions(micrometer);
      builder.with(vertxOptions).withMetrics(new MicrometerMetricsFactory(registry));
    }
    return builder.buildClustered().compose(vertx -> {
      control.started(vertx);
      PayloadCodecs.install(vertx);
      DeploymentOptions options = new DeploymentOptions().setConfig(config);
      HazelcastInstance hazelcast = clusterManager.getHazelcastInstance();
      // persistence first (it migrates the schema), the gateway last (it opens the door)
      Future<?> deployed = Future.succeededFuture();
      for (NodeRole role : NodeRole.values()) {
        if (roles.contains(role)) {
          Deployable verticle = switch (role) {
            case PERSISTENCE -> new PersistenceVerticle(nodeMetrics);
            case PRESENCE -> new PresenceVerticle(hazelcast);
            case AI -> new AiVerticle(nodeMetrics);
            case GATEWAY -> gateway;
          };
          String name = role.name().toLowerCase();
          deployed = deployed.compose(v -> vertx.deployVerticle(nodeMetrics.loops().counted(name, verticle), options)
              .onSuccess(id -> control.deployed(role, verticle, id))
              .onFailure(e -> log.error("could not start the {} role: {}", name, e.getMessage())));
        }
      }
      // then one lag probe per event loop (a deployment's instances take the loops in turn), once
      // the roles are up: a node whose role fails closes its Vert.x, and with the probes already
      // deployed that close never completed (AuthAndHardeningTest; the cause is not found)
      if (lagProbeMs > 0) {
        deployed = deployed.compose(v -> vertx.deployVerticle(() -> new EventLoopLagProbe(registry, lagProbeMs),
            new DeploymentOptions().setInstances(vertxOptions.getEventLoopPoolSize())));
      }
      return deployed
          .onSuccess(v -> log.info("node {} event loops: {}", nodeId, nodeMetrics.loops().byLoop()))
          .map(v -> new ChorusNode(vertx, clusterManager, nodeId, nodeInstance, control))
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
    return control.gateway == null ? -1 : control.gateway.actualPort();
  }

  /**
   * Drains the node, then it leaves the cluster: readiness false and new WebSocket upgrades
   * refused at once; the gateway sends its sockets away spread over {@code drain.spreadMs}
   * while the AI role takes no new job and gives its generations {@code drain.aiGraceMs} to
   * finish (then releases their jobs); the gateway stops (its HTTP server closes), then the
   * AI role, then presence (after removing whatever entries still name this node) and
   * persistence (after answering the requests it is serving); then the Hazelcast member
   * leaves cleanly. {@code drain.timeoutMs} caps the whole: past it the node closes as it is.
   * Any number of calls (SIGTERM, {@code POST /admin/drain}) share one drain.
   */
  public Future<Void> drain() {
    return control.drain();
  }

  /** True once a drain has started. */
  public boolean draining() {
    return control.draining();
  }

  /**
   * {@code handler} runs once the node has drained: with success when the drain completed in
   * time, with the failure otherwise (it hit drain.timeoutMs). Main exits the process there.
   */
  public void onDrained(Handler<AsyncResult<Void>> handler) {
    control.drained.future().onComplete(handler);
  }

  /** Stop without draining: verticles stop, sockets close, the member leaves the cluster. */
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

  /**
   * The node as the gateway sees it ({@link NodeControl}), and the drain's orchestration:
   * each verticle knows how to drain itself; this only says in which order.
   */
  private static final class Control implements NodeControl {
    private final String nodeInstance;
    private final HazelcastClusterManager clusterManager;
    private final long timeoutMs;
    private final long startedNanos = System.nanoTime();
    private final Promise<Void> drained = Promise.promise();
    private final Map<NodeRole, String> deployments = new EnumMap<>(NodeRole.class);
    private volatile Vertx vertx;
    private volatile boolean draining;
    private GatewayVerticle gateway;
    private AiVerticle ai;
    private PresenceVerticle presence;

    Control(String nodeInstance, HazelcastClusterManager clusterManager, long timeoutMs) {
      this.nodeInstance = nodeInstance;
      this.clusterManager = clusterManager;
      this.timeoutMs = timeoutMs;
    }

    synchronized void deployed(NodeRole role, Deployable verticle, String deploymentId) {
      deployments.put(role, deploymentId);
      if (verticle instanceof GatewayVerticle g) {
        gateway = g;
      } else if (verticle instanceof AiVerticle a) {
        ai = a;
      } else if (verticle instanceof PresenceVerticle p) {
        presence = p;
      }
    }

    void started(Vertx vertx) {
      this.vertx = vertx;
    }

    @Override
    public boolean draining() {
      return draining;
    }

    @Override
    public long uptimeMs() {
      return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }

    /** isClusterSafe asks every member and waits for them: on a worker, never an event loop. */
    @Override
    public Future<ClusterView> cluster() {
      HazelcastInstance hazelcast = clusterManager.getHazelcastInstance();
      if (vertx == null || hazelcast == null || !hazelcast.getLifecycleService().isRunning()) {
        return Future.succeededFuture(new ClusterView(false, 0, false));
      }
      return vertx.executeBlocking(() -> {
        int size = hazelcast.getCluster().getMembers().size();
        return new ClusterView(true, size, hazelcast.getPartitionService().isClusterSafe());
      }, false);
    }

    @Override
    public Future<Void> drain() {
      synchronized (this) {
        if (draining || vertx == null) {
          return vertx == null ? Future.failedFuture(new IllegalStateException("the node has not started")) : drained.future();
        }
        draining = true;
      }
      log.info("node {} draining (spread and grace from drain.*, at most {} ms in all)", nodeInstance, timeoutMs);
      long started = System.nanoTime();
      long cap = vertx.setTimer(timeoutMs, t -> {
        if (!drained.future().isComplete()) {
          log.warn("node {} drain not finished after drain.timeoutMs={} ms; closing as it is", nodeInstance, timeoutMs);
          // failed at once: a close that hangs too (a member that cannot leave) must not keep the process alive
          drained.tryFail(new IllegalStateException("drain timed out after " + timeoutMs + " ms"));
          vertx.close();
        }
      });
      // the AI role stops taking jobs at once and its grace runs while the sockets are sent away
      Future<Void> sockets = gateway == null ? Future.succeededFuture() : gateway.drain();
      Future<Void> generations = ai == null ? Future.succeededFuture() : ai.drain();
      sockets
          .compose(v -> undeploy(NodeRole.GATEWAY))
          .compose(v -> generations)
          .compose(v -> undeploy(NodeRole.AI))
          .compose(v -> presence == null ? Future.<Void>succeededFuture() : presence.forgetSocketsOf(nodeInstance).otherwiseEmpty())
          .compose(v -> Future.join(undeploy(NodeRole.PRESENCE), undeploy(NodeRole.PERSISTENCE)))
          // what is left (nothing, or a verticle that failed to stop) goes, and the member leaves the cluster
          .compose(v -> vertx.close())
          .onComplete(ar -> {
            vertx.cancelTimer(cap);
            if (drained.future().isComplete()) {
              log.info("node {} closed {} ms after its drain began, past drain.timeoutMs", nodeInstance,
                  TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            } else if (ar.succeeded()) {
              log.info("node {} drained and left the cluster in {} ms", nodeInstance, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
              drained.tryComplete();
            } else {
              log.warn("node {} drain failed: {}", nodeInstance, ar.cause().toString());
              vertx.close().onComplete(closed -> drained.tryFail(ar.cause()));
            }
          });
      return drained.future();
    }

    private Future<Void> undeploy(NodeRole role) {
      String id;
      synchronized (this) {
        id = deployments.remove(role);
      }
      // a role that fails to stop is logged and the drain goes on: the node is leaving either way
      return id == null ? Future.succeededFuture() : vertx.undeploy(id)
          .onFailure(e -> log.warn("the {} role did not stop cleanly: {}", role.name().toLowerCase(), e.toString()))
          .otherwiseEmpty();
    }
  }
}
