package chorus.node;

import chorus.gateway.auth.JwtKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar chorus-node.jar [--roles gateway,persistence,ai,presence] [--config config/node.json]}
 * runs a node; {@code java -jar chorus-node.jar token USER_ID [--admin] [--ttl SECONDS] [--name NAME]}
 * prints a development token signed with the configured key.
 */
public final class Main {
  private static Logger log;

  private Main() {}

  public static void main(String[] args) throws Exception {
    // before the first logger exists: use config/logback.xml unless told otherwise
    if (System.getProperty("logback.configurationFile") == null && new java.io.File("config/logback.xml").isFile()) {
      System.setProperty("logback.configurationFile", "config/logback.xml");
    }
    log = LoggerFactory.getLogger(Main.class);
    List<String> arguments = new ArrayList<>(List.of(args));
    String configPath = option(arguments, "--config", NodeConfig.DEFAULT_PATH);
    if (!arguments.isEmpty() && arguments.get(0).equals("token")) {
      arguments.remove(0);
      System.exit(printToken(arguments, configPath));
    }
    if (!arguments.isEmpty() && arguments.get(0).equals("run")) {
      arguments.remove(0);
    }
    String roles = option(arguments, "--roles", null);
    if (!arguments.isEmpty()) {
      System.err.println("unknown arguments: " + arguments + "\nusage: chorus-node [run] [--roles gateway,persistence,ai,presence] [--config FILE]\n"
          + "       chorus-node token USER_ID [--admin] [--ttl SECONDS] [--name NAME] [--config FILE]");
      System.exit(2);
    }
    JsonObject config = loadConfig(configPath);
    Set<NodeRole> nodeRoles = NodeRole.parse(roles != null ? roles : config.getJsonObject("node").getString("roles"));
    ChorusNode node = await(ChorusNode.start(config, nodeRoles, new VertxOptions()), 120);
    log.info("node {} started with roles {} (http port {})", node.nodeId(), nodeRoles, node.httpPort());
    // the process ends when the node has drained, however the drain began (SIGTERM, POST /admin/drain)
    node.onDrained(ar -> exit(node, ar.succeeded() ? 0 : 1));
    installTermHandler(node);
  }

  /**
   * SIGTERM drains the node, and the process exits 0 once it has left the cluster. Without
   * sun.misc.Signal (another JVM) the shutdown hook drains instead: the JVM then exits with
   * its own status for a signal (143), after the drain.
   */
  private static void installTermHandler(ChorusNode node) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> {
        log.info("node {} got SIGTERM: draining", node.nodeId());
        node.drain();
      });
    } catch (Throwable e) {
      log.warn("cannot handle SIGTERM ({}); the shutdown hook will drain the node", e.toString());
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        // already drained when the process exits after a drain; else (SIGINT, or no signal handler) drain now
        await(node.drain().otherwiseEmpty(), 120);
      } catch (Exception e) {
        log.warn("node {} did not drain cleanly: {}", node.nodeId(), e.toString());
      }
    }, "chorus-shutdown"));
  }

  /** Not on the thread that completed the drain: System.exit waits for the shutdown hook, which waits for the drain. */
  private static void exit(ChorusNode node, int status) {
    Thread exit = new Thread(() -> {
      log.info("node {} exits with status {}", node.nodeId(), status);
      System.exit(status);
    }, "chorus-exit");
    exit.start();
  }

  private static int printToken(List<String> arguments, String configPath) throws Exception {
    boolean admin = arguments.remove("--admin");
    int ttl = Integer.parseInt(option(arguments, "--ttl", "86400"));
    String name = option(arguments, "--name", null);
    if (arguments.size() != 1) {
      System.err.println("usage: chorus-node token USER_ID [--admin] [--ttl SECONDS] [--name NAME]");
      return 2;
    }
    String userId = arguments.get(0);
    JsonObject jwt = loadConfig(configPath).getJsonObject("jwt");
    Vertx vertx = Vertx.vertx();
    try {
      JsonObject claims = new JsonObject().put("sub", userId).put("name", name != null ? name : userId).put("role", admin ? "admin" : "user");
      System.out.println(JwtKeys.sign(vertx, jwt, claims, ttl));
      return 0;
    } catch (IllegalStateException e) {
      System.err.println("cannot sign a token: " + e.getMessage());
      return 1;
    } finally {
      vertx.close();
    }
  }

  private static JsonObject loadConfig(String path) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      return await(NodeConfig.load(vertx, path), 30);
    } finally {
      vertx.close();
    }
  }

  private static String option(List<String> arguments, String name, String fallback) {
    int index = arguments.indexOf(name);
    if (index < 0) {
      return fallback;
    }
    if (index + 1 >= arguments.size()) {
      throw new IllegalArgumentException(name + " needs a value");
    }
    String value = arguments.remove(index + 1);
    arguments.remove(index);
    return value;
  }

  private static <T> T await(Future<T> future, int seconds) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
  }
}
