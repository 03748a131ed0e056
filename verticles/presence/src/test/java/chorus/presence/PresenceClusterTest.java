package chorus.presence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.PayloadCodecs;
import chorus.shared.bus.PresenceQuery;
import chorus.shared.bus.PresenceSnapshot;
import chorus.shared.bus.SocketClosed;
import chorus.shared.bus.SocketOpened;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Presence across three real clustered Vert.x instances in this JVM, each with its own
 * Hazelcast member and its own presence verticle. Nodes A and B serve the ordinary tests;
 * node C exists to be killed, so the tests do not depend on their order.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class PresenceClusterTest {
  /** Our own cluster: other test classes and runs on this machine never join it. */
  private static final String CLUSTER_NAME = "chorus-presence-test-" + UUID.randomUUID();
  /** This suite's port range; other suites on this machine use other ports. */
  private static final int FIRST_PORT = 6100;
  private static final int PORT_COUNT = 100;
  /** Queries are polled, so one routed to a node that just died should fail fast and be asked again. */
  private static final DeliveryOptions SHORT_TIMEOUT = new DeliveryOptions().setSendTimeout(2000);
  /** Changes are made once: on a loaded machine they may take longer than a poll. */
  private static final DeliveryOptions PATIENT_TIMEOUT = new DeliveryOptions().setSendTimeout(15_000);

  record Node(String id, Vertx vertx, HazelcastInstance hazelcast) {}

  private static Node a;
  private static Node b;
  private static Node c;

  @BeforeAll
  static void startCluster(VertxTestContext test) {
    // one after the other: each joins the cluster the previous ones formed
    startNode("node-a").onSuccess(node -> a = node)
        .compose(v -> startNode("node-b")).onSuccess(node -> b = node)
        .compose(v -> startNode("node-c")).onSuccess(node -> c = node)
        .onComplete(test.succeedingThenComplete());
  }

  @AfterAll
  static void stopCluster(VertxTestContext test) {
    List<Future<Void>> closing = new ArrayList<>();
    for (Node node : new Node[] {a, b, c}) {
      if (node != null) {
        closing.add(node.vertx().close().otherwiseEmpty());
      }
    }
    Future.join(closing).onComplete(test.succeedingThenComplete());
  }

  @Test
  void aSocketOpenedOnOneNodeIsSeenByQueriesAnsweredOnEveryNode(VertxTestContext test) {
    String user = newUser();
    String stranger = newUser();
    open(a, user, "s1")
        .compose(v -> askEverywhere(List.of(a, b), user, stranger))
        .map(snapshot -> expect(snapshot, Map.of(user, List.of("node-a"))))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void aUserWithSocketsOnTwoNodesIsOnlineOnBothUntilTheLastCloses(VertxTestContext test) {
    String user = newUser();
    open(a, user, "phone")
        .compose(v -> open(b, user, "laptop"))
        .compose(v -> askEverywhere(List.of(a, b), user))
        .map(snapshot -> expect(snapshot, Map.of(user, List.of("node-a", "node-b"))))
        .compose(v -> close(a, user, "phone"))
        .compose(v -> askEverywhere(List.of(a, b), user))
        .map(snapshot -> expect(snapshot, Map.of(user, List.of("node-b"))))
        .compose(v -> close(b, user, "laptop"))
        .compose(v -> askEverywhere(List.of(a, b), user))
        .map(snapshot -> expect(snapshot, Map.of()))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void repeatedOpensAndUnknownClosesChangeNothing(VertxTestContext test) {
    String user = newUser();
    open(a, user, "s1")
        .compose(v -> open(a, user, "s1"))
        .compose(v -> open(a, user, "s2"))
        .compose(v -> close(a, user, "never-opened"))
        .compose(v -> close(b, user, "s1")) // the same socket id on another node is another socket
        .compose(v -> close(a, newUser(), "s1"))
        .compose(v -> close(a, user, "s1"))
        .compose(v -> askEverywhere(List.of(a, b), user))
        .map(snapshot -> expect(snapshot, Map.of(user, List.of("node-a"))))
        .compose(v -> close(a, user, "s2"))
        .compose(v -> close(a, user, "s2"))
        .compose(v -> askEverywhere(List.of(a, b), user))
        .map(snapshot -> expect(snapshot, Map.of()))
        .compose(v -> open(b, user, "s2"))
        .compose(v -> askEverywhere(List.of(a, b), user))
        .map(snapshot -> expect(snapshot, Map.of(user, List.of("node-b"))))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void malformedRequestsAreRefusedAsInvalidAndAnEmptyQueryIsAnswered(VertxTestContext test) {
    request(a, Addresses.PRESENCE_SOCKET_OPENED, new SocketOpened(newUser(), "node-a", null, "test"))
        .transform(ar -> expectFailure(ar.cause(), Failures.INVALID))
        .compose(v -> request(a, Addresses.PRESENCE_QUERY, new JsonObject().put("userIds", "not a query")))
        .transform(ar -> expectFailure(ar.cause(), Failures.INVALID))
        .compose(v -> askEverywhere(List.of(a, b)))
        .map(snapshot -> expect(snapshot, Map.of()))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void aNodeThatDiesAbruptlyLeavesNoGhostWithinTenSeconds(VertxTestContext test) {
    String roaming = newUser(); // sockets on A and on C
    String onlyOnC = newUser(); // two sockets, both on C
    String onB = newUser();
    long[] killedAt = new long[1];
    open(a, roaming, "s1")
        .compose(v -> open(c, roaming, "s2"))
        .compose(v -> open(c, onlyOnC, "s3"))
        .compose(v -> open(c, onlyOnC, "s4"))
        .compose(v -> open(b, onB, "s5"))
        .compose(v -> askEverywhere(List.of(a, b, c), roaming, onlyOnC, onB))
        .map(snapshot -> expect(snapshot, Map.of(
            roaming, List.of("node-a", "node-c"), onlyOnC, List.of("node-c"), onB, List.of("node-b"))))
        .compose(v -> {
          // as SIGKILL looks to the others: the member vanishes without leaving, then its Vert.x goes
          killedAt[0] = System.nanoTime();
          c.hazelcast().getLifecycleService().terminate();
          return c.vertx().close().otherwiseEmpty();
        })
        .compose(v -> eventually(Duration.ofSeconds(10),
            () -> askEverywhere(List.of(a, b), roaming, onlyOnC, onB),
            snapshot -> snapshot.nodesByUser().equals(Map.of(roaming, List.of("node-a"), onB, List.of("node-b")))))
        .map(snapshot -> {
          long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt[0]);
          assertTrue(millis < 10_000, "the dead node's sockets took " + millis + " ms to go");
          return snapshot;
        })
        // a clean close afterwards still works on the survivors
        .compose(v -> close(a, roaming, "s1"))
        // until the cluster drops the dead node's registrations, a request may still be routed there
        .compose(v -> eventually(Duration.ofSeconds(10), () -> askEverywhere(List.of(a, b), roaming), snapshot -> snapshot.nodesByUser().isEmpty()))
        .map(snapshot -> expect(snapshot, Map.of()))
        .onComplete(test.succeedingThenComplete());
  }

  // ---- cluster -------------------------------------------------------------------------

  private static Future<Node> startNode(String nodeId) {
    HazelcastClusterManager clusterManager = new HazelcastClusterManager(hazelcastConfig(nodeId));
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1").setPort(0);
    return Vertx.builder().with(options).withClusterManager(clusterManager).buildClustered().compose(vertx -> {
      PayloadCodecs.install(vertx);
      HazelcastInstance hazelcast = clusterManager.getHazelcastInstance();
      return vertx.deployVerticle(new PresenceVerticle(hazelcast)).map(id -> new Node(nodeId, vertx, hazelcast));
    });
  }

  /** Like config/cluster.xml, tuned for tests: loopback only, no join delay, a dead member noticed within seconds. */
  private static Config hazelcastConfig(String nodeId) {
    Config config = new Config();
    config.setClusterName(CLUSTER_NAME);
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(FIRST_PORT).setPortAutoIncrement(true).setPortCount(PORT_COUNT);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2);
    for (int port = FIRST_PORT; port < FIRST_PORT + PORT_COUNT; port++) {
      join.getTcpIpConfig().addMember("127.0.0.1:" + port);
    }
    config.getMemberAttributeConfig().setAttribute(PresenceVerticle.NODE_ATTRIBUTE, nodeId);
    config.getSerializationConfig().addSerializerConfig(PresenceVerticle.serializerConfig());
    // what the Vert.x cluster manager relies on (its default-cluster.xml)
    config.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
        .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    config.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
    config.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
    return config;
  }

  // ---- requests --------------------------------------------------------------------------

  private static String newUser() {
    return "user-" + UUID.randomUUID();
  }

  /** A socket opening on {@code node}, reported by that node's gateway; done when acked. */
  private static Future<Void> open(Node node, String userId, String socketId) {
    return request(node, Addresses.PRESENCE_SOCKET_OPENED, new SocketOpened(userId, node.id(), socketId, "test"), PATIENT_TIMEOUT).mapEmpty();
  }

  private static Future<Void> close(Node node, String userId, String socketId) {
    return request(node, Addresses.PRESENCE_SOCKET_CLOSED, new SocketClosed(userId, node.id(), socketId), PATIENT_TIMEOUT).mapEmpty();
  }

  private static <T> Future<T> request(Node from, String address, Object body) {
    return request(from, address, body, SHORT_TIMEOUT);
  }

  private static <T> Future<T> request(Node from, String address, Object body, DeliveryOptions options) {
    return from.vertx().eventBus().<T>request(address, body, options).map(Message::body);
  }

  /**
   * Asks as many times from each node as there are nodes, at once: the event bus spreads
   * requests over every presence verticle, and all of them must give the same answer.
   */
  private static Future<PresenceSnapshot> askEverywhere(List<Node> from, String... userIds) {
    List<Future<PresenceSnapshot>> answers = new ArrayList<>();
    for (Node node : from) {
      for (int i = 0; i < from.size(); i++) {
        answers.add(request(node, Addresses.PRESENCE_QUERY, new PresenceQuery(List.of(userIds))));
      }
    }
    return Future.all(answers).map(all -> {
      List<PresenceSnapshot> snapshots = all.list();
      assertEquals(1, new HashSet<>(snapshots).size(), "presence verticles disagree: " + snapshots);
      return snapshots.get(0);
    });
  }

  private static Void expect(PresenceSnapshot snapshot, Map<String, List<String>> nodesByUser) {
    assertEquals(nodesByUser, snapshot.nodesByUser());
    return null;
  }

  private static Future<Void> expectFailure(Throwable failure, int code) {
    assertEquals(code, Failures.codeOf(failure), "expected a failure with code " + code + ", got " + failure);
    return Future.succeededFuture();
  }

  /** Tries until {@code done} holds or time is up; a failed attempt (a request to a dead node, say) is tried again. */
  private static <T> Future<T> eventually(Duration within, Supplier<Future<T>> attempt, Predicate<T> done) {
    return eventually(System.nanoTime() + within.toNanos(), attempt, done);
  }

  private static <T> Future<T> eventually(long deadline, Supplier<Future<T>> attempt, Predicate<T> done) {
    return attempt.get().transform(ar -> {
      if (ar.succeeded() && done.test(ar.result())) {
        return Future.succeededFuture(ar.result());
      }
      if (System.nanoTime() > deadline) {
        return Future.failedFuture(new AssertionError("not reached in time; last: " + (ar.succeeded() ? ar.result() : ar.cause())));
      }
      return a.vertx().timer(100).compose(v -> eventually(deadline, attempt, done));
    });
  }
}
