package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The node as a process: {@code chorus.node.Main} in its own JVM, on free ports, until it is
 * ready; then SIGTERM (what {@link Process#destroy} sends on Linux, and what Kubernetes and
 * the ops scripts send). The node drains, its socket gets the notice and 1012, and the
 * process exits with status 0.
 */
class SigtermTest {

  @Test
  void sigtermDrainsTheNodeAndTheProcessExitsZero() throws Exception {
    TestCluster cluster = TestCluster.create(1, config -> config.getJsonObject("drain").put("spreadMs", 500).put("timeoutMs", 20_000));
    JsonObject config = cluster.config().copy();
    int httpPort = freePort();
    String members = config.getJsonObject("cluster").getString("members");
    config.getJsonObject("node").put("id", "sigterm-node");
    config.getJsonObject("http").put("port", httpPort);
    config.getJsonObject("cluster").put("port", Integer.parseInt(members.substring(members.indexOf(':') + 1, members.indexOf('-'))));
    Path configFile = Files.createTempFile("chorus-sigterm", ".json");
    Files.writeString(configFile, config.encodePrettily());
    Path log = Files.createTempFile("chorus-sigterm", ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        "chorus.node.Main", "--config", configFile.toString()))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    HttpClient http = cluster.clients().createHttpClient(new HttpClientOptions().setKeepAlive(false));
    try {
      Await.until("the node process ready", Duration.ofSeconds(120), () -> {
        if (!process.isAlive()) {
          throw new AssertionError("the node exited with " + process.exitValue() + ":\n" + tail(log));
        }
        return readyStatus(http, httpPort) == 200;
      });
      String userId = TestCluster.newUserId();
      WsClient socket = Await.result(WsClient.connect(cluster.clients(), httpPort, "/ws/auth?token=" + cluster.token(userId), null,
          new WebSocketClientOptions()));
      socket.next("online_users");

      process.destroy();

      JsonObject notice = socket.next();
      assertEquals("error", notice.getString("type"), notice::encode);
      assertEquals("SERVER_RESTARTING", notice.getString("code"), notice::encode);
      assertEquals(1012, socket.awaitClose());
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), () -> "still running 30 s after SIGTERM:\n" + tail(log));
      assertEquals(0, process.exitValue(), () -> tail(log));
      String output = Files.readString(log);
      assertTrue(output.contains("got SIGTERM"), () -> tail(log));
      assertTrue(output.contains("drained and left the cluster"), () -> tail(log));
    } finally {
      process.destroyForcibly();
      http.close();
      cluster.close();
      Files.deleteIfExists(configFile);
      Files.deleteIfExists(log);
    }
  }

  private static int readyStatus(HttpClient http, int port) {
    try {
      return http.request(HttpMethod.GET, port, "127.0.0.1", "/health/ready")
          .compose(request -> request.send())
          .map(response -> response.statusCode())
          .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      return -1; // not listening yet
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
