package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.TestCluster.HttpResult;
import chorus.node.support.WsClient;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * GET /metrics, as a Prometheus scraper sees it: the seed's "metrics to track" (active
 * connections, messages per second, connection duration, error rate, delivery latency)
 * plus Vert.x's HTTP and the JVM's meters (its event-bus meters when asked for), per node.
 */
class MetricsTest {
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(2);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void socketsMessagesLatencyAndErrorsAreCountedPerNode() {
    String user = TestCluster.newUserId();
    String token = cluster.token(user);
    String conversationId = cluster.newConversation(token, "Ada", "You are terse.");
    double persistedBefore = persisted(0, "user") + persisted(1, "user");
    double[] committedBefore = {committed(0), committed(1)};
    double aiBefore = aiStored(0) + aiStored(1);

    WsClient conversationSocket = cluster.openConversation(0, conversationId, token);
    WsClient userSocket = cluster.connect(0, "/ws/auth?token=" + token);
    userSocket.next("online_users");
    Await.until("both sockets counted", Duration.ofSeconds(5), () -> value(scrape(0), "chorus_sockets_open", "profile=\"conversation\"") == 1.0
        && value(scrape(0), "chorus_sockets_open", "profile=\"user\"") == 1.0);

    for (int i = 1; i <= 3; i++) {
      conversationSocket.userMessage("message " + i, null);
      conversationSocket.next("message_received");
      conversationSocket.next("assistant_message");
    }
    conversationSocket.send(new JsonObject().put("type", "launch_missiles"));
    assertEquals("UNKNOWN_TYPE", conversationSocket.next("error").getString("code"));

    // appends go to either node's persistence role: the cluster's sum is exact
    assertEquals(3.0, persisted(0, "user") + persisted(1, "user") - persistedBefore);
    String node0 = scrape(0);
    assertEquals(1.0, value(node0, "chorus_error_frames_total", "profile=\"conversation\"", "code=\"UNKNOWN_TYPE\""));
    assertTrue(value(node0, "chorus_delivery_latency_seconds_count") >= 6, "3 user messages and 3 replies dispatched on node 0");
    assertTrue(value(node0, "chorus_delivery_latency_seconds_bucket", "le=\"+Inf\"") >= 6);
    assertTrue(node0.contains("node=\"" + cluster.node(0).nodeId() + "\""), "every meter is tagged with its node");
    // frames: 3 user messages and one unknown type in; the ack, 3 x (received + reply) and the error out
    assertEquals(4.0, value(node0, "chorus_frames_in_total", "profile=\"conversation\""));
    assertTrue(value(node0, "chorus_frames_out_total", "profile=\"conversation\"") >= 8.0, node0);
    // the 6 messages reached node 0's feed once each: those node 1 committed crossed nodes
    assertEquals(committed(0) - committedBefore[0], value(node0, "chorus_deliveries_total", "path=\"local\""));
    assertEquals(committed(1) - committedBefore[1], value(node0, "chorus_deliveries_total", "path=\"cross_node\""));
    assertEquals(6.0, value(node0, "chorus_deliveries_total", "path=\"local\"") + value(node0, "chorus_deliveries_total", "path=\"cross_node\""));
    // three replies generated, on either node's AI role; none running or queued any more
    assertEquals(3.0, aiStored(0) + aiStored(1) - aiBefore);
    assertEquals(3.0, value(scrape(0), "chorus_ai_first_token_seconds_count") + value(scrape(1), "chorus_ai_first_token_seconds_count"));
    // every streamed piece of the 3 replies reached node 0's sockets, timed from its read off the provider
    assertTrue(value(node0, "chorus_ai_delta_latency_seconds_count") >= 3, node0);
    assertEquals(value(node0, "chorus_ai_delta_latency_seconds_count"), value(node0, "chorus_ai_delta_latency_seconds_bucket", "le=\"+Inf\""));
    assertTrue(node0.contains("chorus_ai_generations_active{"), node0);
    assertEquals(0.0, value(scrape(0), "chorus_ai_generations_active") + value(scrape(1), "chorus_ai_generations_active"));
    assertEquals(0.0, value(scrape(0), "chorus_ai_generations_queued") + value(scrape(1), "chorus_ai_generations_queued"));
    assertTrue(node0.contains("vertx_http_server_"), "Vert.x HTTP server meters");
    assertFalse(node0.contains("vertx_eventbus_"), "Vert.x's per-message event-bus meters are off unless metrics.vertxEventBus");
    assertTrue(node0.contains("jvm_memory_used_bytes"), "JVM meters");

    conversationSocket.close();
    Await.until("the closed socket counted down", Duration.ofSeconds(5),
        () -> value(scrape(0), "chorus_sockets_open", "profile=\"conversation\"") == 0.0);
    assertEquals(1.0, value(scrape(0), "chorus_socket_duration_seconds_count", "profile=\"conversation\""));
    userSocket.close();
  }

  /**
   * Each connect is timed step by step: a socket's steps add up to its connect, a profile
   * records the steps it has, and a refused socket only those it passed.
   */
  @Test
  void connectStepsAreTimedPerProfile() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Ada", "You are terse.");
    String before = scrape(1);

    WsClient conversationSocket = cluster.openConversation(1, conversationId, token);
    WsClient userSocket = cluster.connect(1, "/ws/auth?token=" + token);
    userSocket.next("online_users");
    Await.until("both connects timed to the end", Duration.ofSeconds(5),
        () -> added(before, scrape(1), "chorus_connect_duration_seconds_count", "profile=\"conversation\"") == 1.0
            && added(before, scrape(1), "chorus_connect_duration_seconds_count", "profile=\"user\"") == 1.0);
    String after = scrape(1);
    double stepsTotal = 0;
    for (String stage : new String[] {"upgrade", "auth", "context", "seat", "live"}) {
      assertEquals(1.0, added(before, after, "chorus_connect_stage_seconds_count", "profile=\"conversation\"", "stage=\"" + stage + "\""), stage);
      stepsTotal += added(before, after, "chorus_connect_stage_seconds_sum", "profile=\"conversation\"", "stage=\"" + stage + "\"");
    }
    double connect = added(before, after, "chorus_connect_duration_seconds_sum", "profile=\"conversation\"");
    assertTrue(connect > 0 && Math.abs(stepsTotal - connect) < 1e-4, "steps " + stepsTotal + " s, connect " + connect + " s");
    for (String stage : new String[] {"upgrade", "auth", "seat", "live"}) {
      assertEquals(1.0, added(before, after, "chorus_connect_stage_seconds_count", "profile=\"user\"", "stage=\"" + stage + "\""), stage);
    }
    assertEquals(0.0, value(after, "chorus_connect_stage_seconds_count", "profile=\"user\"", "stage=\"context\""),
        "the user profile reads no conversation on connect");

    // refused at the context read: the steps before it are timed, the connect is not
    TestCluster.Refusal refused = cluster.refusal(1, "/api/v1/conversations/" + java.util.UUID.randomUUID() + "/ws?token=" + token);
    assertEquals("NOT_FOUND", refused.error().getString("code"));
    assertEquals(4003, refused.closeCode());
    String afterRefusal = scrape(1);
    assertEquals(2.0, added(before, afterRefusal, "chorus_connect_stage_seconds_count", "profile=\"conversation\"", "stage=\"auth\""));
    assertEquals(1.0, added(before, afterRefusal, "chorus_connect_stage_seconds_count", "profile=\"conversation\"", "stage=\"context\""));
    assertEquals(1.0, added(before, afterRefusal, "chorus_connect_duration_seconds_count", "profile=\"conversation\""));
    conversationSocket.close();
    userSocket.close();
  }

  private static double added(String before, String after, String name, String... labelFragments) {
    return value(after, name, labelFragments) - value(before, name, labelFragments);
  }

  private static double persisted(int node, String role) {
    return value(scrape(node), "chorus_messages_persisted_total", "role=\"" + role + "\"");
  }

  /** Messages of every role this node's persistence role committed. */
  private static double committed(int node) {
    return persisted(node, "user") + persisted(node, "assistant");
  }

  private static double aiStored(int node) {
    return value(scrape(node), "chorus_ai_generation_seconds_count", "outcome=\"stored\"");
  }

  private static String scrape(int node) {
    HttpResult result = cluster.get(node, "/metrics", null);
    assertEquals(200, result.status());
    assertTrue(result.headers().get("content-type").startsWith("text/plain"), result.headers().get("content-type"));
    return result.body().getString("_raw");
  }

  /** Each event loop reports how far behind it runs, and a loop held busy shows it. */
  @Test
  void everyEventLoopReportsHowFarBehindItRuns() throws Exception {
    Await.until("every loop probed", Duration.ofSeconds(5), () -> loopsProbed(scrape(0)).size() == new VertxOptions().getEventLoopPoolSize());
    String before = scrape(0);
    for (String loop : loopsProbed(before)) {
      assertTrue(value(before, "chorus_event_loop_lag_seconds_count", "loop=\"" + loop + "\"") > 0, loop);
    }

    // one of node 0's loops does 300 ms of work in one go: the probe's timer due meanwhile fires that late
    CountDownLatch done = new CountDownLatch(1);
    cluster.node(0).vertx().getOrCreateContext().runOnContext(v -> {
      long until = System.nanoTime() + 300_000_000L;
      while (System.nanoTime() < until) {
        Thread.onSpinWait();
      }
      done.countDown();
    });
    assertTrue(done.await(10, TimeUnit.SECONDS));
    double slowBefore = lagSamplesOver(before, 0.25);
    Await.until("the stall recorded", Duration.ofSeconds(5), () -> lagSamplesOver(scrape(0), 0.25) > slowBefore);
    // it counts by how long it lasted: the 10 ms samples it kept from being taken, 300 ms late down to 10
    assertTrue(lagSamplesOver(scrape(0), 0.1) - lagSamplesOver(before, 0.1) >= 15, scrape(0));
  }

  /** A lagging loop is put down to what it runs: every role and each gateway server is named with its loop. */
  @Test
  void everyRoleIsNamedWithTheEventLoopItRunsOn() {
    String exposition = scrape(0);
    Set<String> loops = loopsProbed(exposition);
    Map<String, Double> instances = new TreeMap<>();
    Set<String> serverLoops = new TreeSet<>();
    Matcher series = Pattern.compile("^chorus_event_loop_verticles\\{.*loop=\"([^\"]+)\".*verticle=\"([^\"]+)\".*\\} (\\S+)$", Pattern.MULTILINE)
        .matcher(exposition);
    while (series.find()) {
      double count = Double.parseDouble(series.group(3));
      instances.merge(series.group(2), count, Double::sum);
      assertTrue(loops.contains(series.group(1)), "a loop the lag probe knows: " + series.group(1));
      if (series.group(2).equals("gateway-server") && count > 0) {
        serverLoops.add(series.group(1));
      }
    }
    // http.instances 0: a gateway server per core (on as many of the node's loops, two a core)
    int servers = Runtime.getRuntime().availableProcessors();
    assertEquals(Map.of("ai", 1.0, "gateway", 1.0, "gateway-server", (double) servers, "persistence", 1.0, "presence", 1.0), instances, exposition);
    assertEquals(servers, serverLoops.size(), "each gateway server on a loop of its own: " + serverLoops);
  }

  /** How many of the probes' samples, all loops together, were later than {@code seconds} (by the histogram's bucket bounds). */
  private static double lagSamplesOver(String exposition, double seconds) {
    double over = 0;
    for (String loop : loopsProbed(exposition)) {
      String series = "loop=\"" + loop + "\"";
      double within = exposition.lines()
          .filter(line -> line.startsWith("chorus_event_loop_lag_seconds_bucket{") && line.contains(series))
          .filter(line -> !line.contains("le=\"+Inf\"") && Double.parseDouble(line.replaceAll(".*le=\"([^\"]+)\".*", "$1")) <= seconds)
          .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
          .max().orElse(0);
      over += value(exposition, "chorus_event_loop_lag_seconds_count", series) - within;
    }
    return over;
  }

  /** The loops named by the probe's series. */
  private static Set<String> loopsProbed(String exposition) {
    Set<String> loops = new TreeSet<>();
    Matcher loop = Pattern.compile("^chorus_event_loop_lag_seconds_count\\{.*loop=\"([^\"]+)\"", Pattern.MULTILINE).matcher(exposition);
    while (loop.find()) {
      loops.add(loop.group(1));
    }
    return loops;
  }

  @Test
  void vertxEventBusMetersAreThereWhenAskedFor() {
    cluster.addNodeWith(EnumSet.of(NodeRole.GATEWAY), config -> config.put("metrics", new JsonObject().put("vertxEventBus", true)));
    int added = 2;
    // a gateway registers its consumers at once, and hears the persistence roles announce themselves every second
    Await.until("event-bus meters on the node that asked for them", Duration.ofSeconds(10),
        () -> scrape(added).contains("vertx_eventbus_handlers") && scrape(added).contains("vertx_eventbus_received_total"));
    assertFalse(scrape(0).contains("vertx_eventbus_"), "not on the nodes that did not");
  }

  /** The sample of {@code name} whose labels contain every fragment; 0 when there is none yet. */
  private static double value(String exposition, String name, String... labelFragments) {
    return exposition.lines()
        .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
        .filter(line -> Arrays.stream(labelFragments).allMatch(line::contains))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElse(0.0);
  }
}
