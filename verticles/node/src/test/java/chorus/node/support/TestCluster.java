package chorus.node.support;

import chorus.gateway.auth.JwtKeys;
import chorus.node.ChorusNode;
import chorus.node.NodeRole;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.VertxMetricsFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Real Chorus nodes in this JVM: each a clustered Vert.x with its own Hazelcast member,
 * on a cluster name and ports of its own (so parallel test runs never meet), against the
 * real PostgreSQL test database. Clients use a separate Vert.x and real sockets.
 */
public final class TestCluster implements AutoCloseable {
  public static final String JWT_SECRET = "chorus-test-secret-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c1e";
  private static final Vertx CLIENTS = Vertx.vertx();

  private final JsonObject config;
  private final int hazelcastBasePort;
  private final int maxNodes;
  private final List<ChorusNode> nodes = new ArrayList<>();
  private final java.util.Set<ChorusNode> killed = new java.util.HashSet<>();

  private TestCluster(JsonObject config, int hazelcastBasePort, int maxNodes) {
    this.config = config;
    this.hazelcastBasePort = hazelcastBasePort;
    this.maxNodes = maxNodes;
  }

  /** config/node.json with the test database, a test key, free ports and a cluster of our own. */
  public static JsonObject testConfig() {
    try {
      JsonObject config = new JsonObject(Files.readString(Path.of("config/node.json")));
      config.getJsonObject("pg")
          .put("database", System.getenv().getOrDefault("CHORUS_TEST_PG_DATABASE", "chorus_test"))
          .put("poolSize", 4);
      config.getJsonObject("jwt").put("secret", JWT_SECRET);
      config.getJsonObject("http").put("host", "127.0.0.1").put("port", 0);
      config.getJsonObject("cluster").put("name", "chorus-test-" + UUID.randomUUID());
      config.getJsonObject("ai").put("sweepIntervalMs", 1000);
      // tests send bursts from one user; the per-user AI limits have their own test (AiLimitsTest)
      config.getJsonObject("ai").put("maxConcurrentPerUser", 0).put("dailyTokenQuota", 0);
      // tests send bursts; the rate limit has its own test (LimitsTest) with its own settings
      config.getJsonObject("limits").put("messagesPerSecond", 100_000.0).put("messageBurst", 100_000);
      return config;
    } catch (IOException e) {
      throw new IllegalStateException("tests run from the repository root (config/node.json)", e);
    }
  }

  public static TestCluster start(int nodeCount) {
    return start(nodeCount, config -> {});
  }

  public static TestCluster start(int nodeCount, Consumer<JsonObject> tweak) {
    TestCluster cluster = create(nodeCount + 2, tweak);
    for (int i = 0; i < nodeCount; i++) {
      cluster.addNode(EnumSet.allOf(NodeRole.class));
    }
    return cluster;
  }

  /**
   * Three nodes with roles split as a deployment might: node 0 runs everything, node 1
   * only holds sockets, node 2 holds sockets and presence.
   */
  public static TestCluster startRoleSplit() {
    TestCluster cluster = create(5, config -> {});
    cluster.addNode(EnumSet.allOf(NodeRole.class));
    cluster.addNode(EnumSet.of(NodeRole.GATEWAY));
    cluster.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PRESENCE));
    return cluster;
  }

  /** A cluster with no node yet, room for {@code maxNodes}; add them with {@link #addNode}. */
  public static TestCluster create(int maxNodes, Consumer<JsonObject> tweak) {
    JsonObject config = testConfig();
    tweak.accept(config);
    int base = freePortRange(maxNodes);
    config.getJsonObject("cluster").put("members", "127.0.0.1:" + base + "-" + (base + maxNodes - 1));
    return new TestCluster(config, base, maxNodes);
  }

  public ChorusNode addNode(Set<NodeRole> roles) {
    return addNode(roles, (VertxMetricsFactory) null);
  }

  public ChorusNode addNode(Set<NodeRole> roles, VertxMetricsFactory metrics) {
    return addNode(roles, metrics, "test-node-" + nodes.size(), c -> {});
  }

  /** A node in the next free slot under a given id: the same id as a killed one is a restart. */
  public ChorusNode addNode(Set<NodeRole> roles, String nodeId) {
    return addNode(roles, null, nodeId, c -> {});
  }

  /** A node whose config differs from the cluster's by {@code tweak} (a slower provider, say). */
  public ChorusNode addNodeWith(Set<NodeRole> roles, Consumer<JsonObject> tweak) {
    return addNode(roles, null, "test-node-" + nodes.size(), tweak);
  }

  private ChorusNode addNode(Set<NodeRole> roles, VertxMetricsFactory metrics, String nodeId, Consumer<JsonObject> tweak) {
    if (nodes.size() >= maxNodes) {
      throw new IllegalStateException("cluster was created for " + maxNodes + " nodes");
    }
    JsonObject nodeConfig = config.copy();
    tweak.accept(nodeConfig);
    nodeConfig.getJsonObject("node").put("id", nodeId);
    nodeConfig.getJsonObject("cluster").put("port", hazelcastBasePort + nodes.size());
    ChorusNode node = Await.result(ChorusNode.start(nodeConfig, roles, new VertxOptions(), metrics), Duration.ofSeconds(90));
    nodes.add(node);
    int expected = nodes.size() - killed.size();
    Await.until("cluster of " + expected + " members", Duration.ofSeconds(30),
        () -> node.hazelcast().getCluster().getMembers().size() >= expected);
    // and its share of the partitions moved to it, as scripts/rolling-restart waits for
    // /health/ready: a member killed while partitions still migrate to a new one takes their
    // only complete copy with it, and the new member's event-bus lookups wait on them
    Await.until("cluster safe (no partition migrating)", Duration.ofSeconds(30),
        () -> node.hazelcast().getPartitionService().isClusterSafe());
    return node;
  }

  /** Kills a node as SIGKILL would look to the others: its Hazelcast member vanishes without leaving. */
  public void kill(int index) {
    ChorusNode node = nodes.get(index);
    killed.add(node);
    Await.result(node.kill(), Duration.ofSeconds(30));
  }

  public ChorusNode node(int index) {
    return nodes.get(index);
  }

  public JsonObject config() {
    return config;
  }

  public Vertx clients() {
    return CLIENTS;
  }

  public String token(String userId) {
    return token(new JsonObject().put("sub", userId).put("name", "User " + userId), 3600);
  }

  public String token(JsonObject claims, int ttlSeconds) {
    return JwtKeys.sign(CLIENTS, config.getJsonObject("jwt"), claims, ttlSeconds);
  }

  public static String newUserId() {
    return "user-" + UUID.randomUUID();
  }

  // ---- WebSocket clients -------------------------------------------------------------

  public WsClient connect(int node, String uri) {
    return connect(node, uri, null);
  }

  public WsClient connect(int node, String uri, MultiMap headers) {
    return Await.result(connectAsync(node, uri, headers, new WebSocketClientOptions()));
  }

  public Future<WsClient> connectAsync(int node, String uri, MultiMap headers, WebSocketClientOptions options) {
    return WsClient.connect(CLIENTS, nodes.get(node).httpPort(), uri, headers, options);
  }

  /** What a refused socket was told: its error frame and the close code that followed. */
  public record Refusal(JsonObject error, int closeCode, String closeReason) {}

  /**
   * Opens a socket the server is expected to refuse, with a raw client that reads frames
   * straight off the wire (a server that closes at once races a high-level client's setup).
   */
  public Refusal refusal(int node, String uri, java.util.Map<String, String> headers) {
    try (RawWebSocket ws = RawWebSocket.connect(nodes.get(node).httpPort(), uri, headers)) {
      JsonObject error = null;
      while (true) {
        RawWebSocket.Frame frame = ws.next(Duration.ofSeconds(15));
        if (frame == null || frame.isEnd()) {
          throw new AssertionError("no close frame; error so far: " + error);
        }
        if (frame.opcode() == RawWebSocket.TEXT) {
          JsonObject text = new JsonObject(frame.text());
          if ("error".equals(text.getString("type"))) {
            error = text;
          }
        } else if (frame.opcode() == RawWebSocket.CLOSE) {
          return new Refusal(error, frame.closeCode(), frame.closeReason());
        }
      }
    } catch (java.io.IOException e) {
      throw new AssertionError("connection failed: " + e, e);
    }
  }

  public Refusal refusal(int node, String uri) {
    return refusal(node, uri, java.util.Map.of());
  }

  /** Connects to a conversation's socket with ?token= and reads the connection_ack. */
  public WsClient openConversation(int node, String conversationId, String token) {
    WsClient ws = connect(node, "/api/v1/conversations/" + conversationId + "/ws?token=" + token);
    ws.next("connection_ack");
    return ws;
  }

  // ---- REST ----------------------------------------------------------------------------

  public record HttpResult(int status, JsonObject body, MultiMap headers) {}

  public HttpResult request(int node, HttpMethod method, String uri, String token, Buffer body) {
    RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(nodes.get(node).httpPort()).setURI(uri);
    if (token != null) {
      options.putHeader("Authorization", "Bearer " + token);
    }
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    // Once in about ten CI runs a request waited for the whole 30 s, with no log line on the
    // server, and neither the connect nor the idle timeout fired (cause not found). Each request
    // gets a client of its own (no pool state carried between requests); one that fails or has
    // no answer within 12 s, timed by this thread rather than by the client, is tried once more
    // with the event loops' stacks printed, so that the next occurrence says where it stuck.
    options.setConnectTimeout(10_000).setIdleTimeout(10_000);
    try {
      return Await.result(send(options, body), Duration.ofSeconds(12));
    } catch (AssertionError silence) {
      System.err.println("TestCluster: no response to " + method + " " + uri + " (" + silence.getMessage() + "); trying once more. "
          + "Event loops:\n" + eventLoopStacks());
      return Await.result(send(options, body), Duration.ofSeconds(20));
    }
  }

  private static String eventLoopStacks() {
    StringBuilder stacks = new StringBuilder();
    Thread.getAllStackTraces().forEach((thread, frames) -> {
      if (thread.getName().startsWith("vert.x-eventloop")) {
        stacks.append(thread.getName()).append(" ").append(thread.getState()).append('\n');
        for (int i = 0; i < Math.min(frames.length, 12); i++) {
          stacks.append("    at ").append(frames[i]).append('\n');
        }
      }
    });
    return stacks.toString();
  }

  private Future<HttpResult> send(RequestOptions options, Buffer body) {
    HttpClient client = CLIENTS.createHttpClient(new io.vertx.core.http.HttpClientOptions().setKeepAlive(false));
    return client.request(options)
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(response -> response.body().map(buffer -> new HttpResult(response.statusCode(), parse(buffer), response.headers())))
        .eventually(client::close);
  }

  public HttpResult post(int node, String uri, String token, JsonObject body) {
    return request(node, HttpMethod.POST, uri, token, body.toBuffer());
  }

  public HttpResult get(int node, String uri, String token) {
    return request(node, HttpMethod.GET, uri, token, null);
  }

  /** Creates an llm bot and a conversation with it, owned by the token's user; returns the conversation id. */
  public String newConversation(String token, String botName, String personality) {
    return newConversation(token, botName, personality, "llm");
  }

  /** As above with a bot of the given kind: a survey bot creates no reply jobs. */
  public String newConversation(String token, String botName, String personality, String kind) {
    HttpResult bot = post(0, "/api/v1/bots", token, new JsonObject().put("name", botName).put("personality", personality).put("kind", kind));
    if (bot.status() != 201) {
      throw new AssertionError("bot creation failed: " + bot);
    }
    HttpResult conversation = post(0, "/api/v1/conversations", token, new JsonObject().put("bot_id", bot.body().getString("id")).put("title", "test"));
    if (conversation.status() != 201) {
      throw new AssertionError("conversation creation failed: " + conversation);
    }
    return conversation.body().getString("id");
  }

  private static JsonObject parse(Buffer buffer) {
    if (buffer.length() == 0) {
      return new JsonObject();
    }
    try {
      return buffer.toJsonObject();
    } catch (RuntimeException e) {
      return new JsonObject().put("_raw", buffer.toString());
    }
  }

  private static int freePortRange(int count) {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20_000, 40_000);
      boolean free = true;
      for (int port = base; port < base + count && free; port++) {
        try (ServerSocket socket = new ServerSocket(port)) {
          socket.setReuseAddress(true);
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IllegalStateException("no free port range");
  }

  @Override
  public void close() {
    List<Future<Void>> closing = new ArrayList<>();
    for (ChorusNode node : nodes) {
      if (!killed.contains(node)) {
        closing.add(node.close().otherwiseEmpty());
      }
    }
    Await.result(Future.join(closing).mapEmpty(), Duration.ofSeconds(60));
    nodes.clear();
  }
}
