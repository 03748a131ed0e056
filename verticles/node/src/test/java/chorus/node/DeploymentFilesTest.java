package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import chorus.node.support.Await;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment files, checked as far as this machine can: no Docker engine and no
 * Kubernetes here, so the YAML is parsed and its drain/probe/discovery promises compared
 * with the node's real configuration, the Kubernetes join goes through Hazelcast's own
 * config classes, and nginx (installed by scripts/test) checks and runs the configs the
 * cluster script renders.
 */
class DeploymentFilesTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Path K8S = Path.of("config/k8s");
  private static final Path DOCKER = Path.of("config/docker");

  @TempDir
  Path tmp;

  // --- YAML ------------------------------------------------------------------------------

  @Test
  void everyYamlFileParsesAndEveryManifestSaysWhatItIs() throws IOException {
    List<Path> files = yamlFiles(K8S);
    files.addAll(yamlFiles(DOCKER));
    assertTrue(files.size() >= 6, "expected the k8s manifests and the compose file, found " + files);
    for (Path file : files) {
      List<JsonNode> documents = documents(file);
      assertFalse(documents.isEmpty(), file + " holds no YAML document");
      if (file.startsWith(K8S)) {
        for (JsonNode document : documents) {
          assertTrue(document.path("apiVersion").isTextual() && document.path("kind").isTextual()
              && document.path("metadata").path("name").isTextual(), file + ": a manifest without apiVersion, kind or metadata.name: " + document);
        }
      }
    }
  }

  @Test
  void deploymentDrainsBeforeKubernetesKillsIt() throws IOException {
    JsonNode deployment = manifest("Deployment");
    JsonNode pod = deployment.path("spec").path("template").path("spec");
    JsonNode container = pod.path("containers").get(0);
    assertEquals(3, deployment.path("spec").path("replicas").asInt());

    long graceMs = pod.path("terminationGracePeriodSeconds").asLong() * 1000;
    long drainMs = drainTimeoutMs();
    assertTrue(graceMs > drainMs, "terminationGracePeriodSeconds (" + graceMs + " ms) must exceed drain.timeoutMs (" + drainMs + " ms)");

    JsonNode preStop = container.path("lifecycle").path("preStop").path("exec").path("command");
    assertEquals("/app/bin/prestop-drain", preStop.path(0).asText(), "preStop runs the image's drain hook");
    assertTrue(Files.readString(DOCKER.resolve("Dockerfile")).contains("config/docker/prestop-drain.sh bin/prestop-drain"),
        "the Dockerfile puts the hook where preStop calls it");
    assertTrue(Files.readString(DOCKER.resolve("prestop-drain.sh")).contains("/admin/drain"));

    assertEquals("/health/ready", container.path("readinessProbe").path("httpGet").path("path").asText());
    assertEquals("/health/live", container.path("livenessProbe").path("httpGet").path("path").asText());
    assertEquals("http", container.path("readinessProbe").path("httpGet").path("port").asText());
    assertEquals("http", container.path("livenessProbe").path("httpGet").path("port").asText());
    assertEquals(configMap().get("CHORUS_HTTP_PORT"), String.valueOf(containerPort(container, "http")),
        "the probes' port is the port the node listens on");

    Map<String, JsonNode> env = new HashMap<>();
    container.path("env").forEach(variable -> env.put(variable.path("name").asText(), variable));
    assertEquals("chorus-secrets", env.get("CHORUS_JWT_SECRET").path("valueFrom").path("secretKeyRef").path("name").asText());
    assertEquals("chorus-secrets", env.get("CHORUS_PG_PASSWORD").path("valueFrom").path("secretKeyRef").path("name").asText());
    assertEquals("status.podIP", env.get("CHORUS_CLUSTER_HOST").path("valueFrom").path("fieldRef").path("fieldPath").asText(),
        "Hazelcast must bind the pod's address, not 127.0.0.1");
    assertFalse(configMap().containsKey("CHORUS_JWT_SECRET") || configMap().containsKey("CHORUS_PG_PASSWORD"), "secrets stay out of the ConfigMap");
    assertTrue(container.path("resources").path("requests").has("memory") && container.path("resources").path("limits").has("memory"));
    // without a CPU limit the JVM sees every core of the host and sizes its threads for them all
    JsonNode resources = container.path("resources");
    if (!resources.path("limits").has("cpu")) {
      java.util.regex.Matcher told = java.util.regex.Pattern.compile("-XX:ActiveProcessorCount=(\\d+)").matcher(configMap().get("JAVA_OPTS"));
      assertTrue(told.find(), "no CPU limit: JAVA_OPTS must say how many cores the node sizes itself for");
      assertEquals(resources.path("requests").path("cpu").asText(), told.group(1), "the cores the node is told are the cores it requests");
    }
  }

  @Test
  void headlessServiceListsEveryPodOnTheHazelcastPort() throws IOException {
    JsonNode headless = service(true);
    JsonNode container = manifest("Deployment").path("spec").path("template").path("spec").path("containers").get(0);
    assertEquals("None", headless.path("spec").path("clusterIP").asText());
    assertTrue(headless.path("spec").path("publishNotReadyAddresses").asBoolean(),
        "nodes become ready only after joining: discovery must see pods that are not ready yet");
    JsonNode port = headless.path("spec").path("ports").get(0);
    assertEquals(Integer.parseInt(configMap().get("CHORUS_CLUSTER_PORT")), port.path("port").asInt());
    assertEquals(port.path("port").asInt(), containerPort(container, port.path("targetPort").asText()));
    assertSelects(headless.path("spec").path("selector"));

    JsonNode clients = service(false);
    assertEquals("http", clients.path("spec").path("ports").get(0).path("targetPort").asText());
    assertSelects(clients.path("spec").path("selector"));
  }

  @Test
  void podDisruptionBudgetCoversTheDeploymentsPods() throws IOException {
    JsonNode pdb = manifest("PodDisruptionBudget");
    JsonNode deployment = manifest("Deployment");
    assertEquals(deployment.path("spec").path("selector").path("matchLabels"), pdb.path("spec").path("selector").path("matchLabels"));
    assertSelects(pdb.path("spec").path("selector").path("matchLabels"));
    assertEquals(1, pdb.path("spec").path("maxUnavailable").asInt(), "one pod drained at a time");
  }

  @Test
  void composeRunsPostgresThreeNodesAndNginx() throws IOException {
    JsonNode services = documents(DOCKER.resolve("docker-compose.yml")).get(0).path("services");
    assertTrue(services.path("postgres").path("image").asText().startsWith("postgres:15"));
    long drainMs = drainTimeoutMs();
    List<String> addresses = new ArrayList<>();
    for (String node : List.of("node1", "node2", "node3")) {
      JsonNode service = services.path(node);
      JsonNode env = service.path("environment");
      String address = service.path("networks").path("chorus").path("ipv4_address").asText();
      assertEquals(address, env.path("CHORUS_CLUSTER_HOST").asText(), node + " advertises its own address to Hazelcast");
      assertEquals("postgres", env.path("CHORUS_PG_HOST").asText());
      assertTrue(env.path("CHORUS_JWT_SECRET").asText().startsWith("${CHORUS_JWT_SECRET:?"), node + " refuses to start without a key");
      assertTrue(Duration.parse("PT" + service.path("stop_grace_period").asText().toUpperCase()).toMillis() > drainMs,
          node + ": stop_grace_period must exceed drain.timeoutMs");
      addresses.add(address);
      assertEquals("chorus-node:0.1.0", service.path("image").asText());
    }
    for (String node : List.of("node1", "node2", "node3")) {
      assertEquals(String.join(",", addresses), services.path(node).path("environment").path("CHORUS_CLUSTER_MEMBERS").asText());
    }
    assertTrue(Files.isRegularFile(DOCKER.resolve("../..").resolve(services.path("node1").path("build").path("dockerfile").asText()).normalize()));

    JsonNode nginx = services.path("nginx");
    assertEquals("8080:8080", nginx.path("ports").get(0).asText());
    for (JsonNode volume : nginx.path("volumes")) {
      Path source = DOCKER.resolve(volume.asText().split(":")[0]).normalize();
      assertTrue(Files.isRegularFile(source), "compose mounts a file that does not exist: " + source);
    }
  }

  @Test
  void dockerfileBuildsInOneStageAndRunsTheJarAsNonRootInAnother() throws IOException {
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    List<String> from = dockerfile.lines().filter(line -> line.startsWith("FROM ")).toList();
    assertEquals(2, from.size(), "a build stage and a runtime stage: " + from);
    assertTrue(from.get(0).contains("maven") && from.get(1).contains("eclipse-temurin:17-jre"), from.toString());
    assertTrue(dockerfile.contains("\nUSER 10001"), "runs as a non-root user");
    assertTrue(dockerfile.contains("/health/live"), "HEALTHCHECK on /health/live");
    assertTrue(dockerfile.contains("\nSTOPSIGNAL SIGTERM"));
    assertTrue(dockerfile.contains("exec_node"), "launched by scripts/lib/common.sh exec_node, as scripts/run is");
    // every file the runtime stage copies from the context exists
    for (String line : dockerfile.lines().filter(line -> line.startsWith("COPY ") && !line.contains("--from=")).toList()) {
      String[] parts = line.replace("--chmod=755 ", "").split("\\s+");
      for (int i = 1; i < parts.length - 1; i++) {
        if (!parts[i].equals(".")) {
          assertTrue(Files.exists(Path.of(parts[i])), "the Dockerfile copies " + parts[i] + ", which does not exist");
        }
      }
    }
  }

  // --- Hazelcast's Kubernetes join ---------------------------------------------------------

  @Test
  void kubernetesJoinIsTheOnlyJoinHazelcastGetsFromTheConfigMap() throws IOException {
    JsonObject cluster = effectiveNodeConfig().getJsonObject("cluster");
    Config config = HazelcastSetup.build(cluster, "chorus-node-7d9f-x2#ab12cd34");
    JoinConfig join = config.getNetworkConfig().getJoin();
    JsonNode headless = service(true);
    String expectedDns = headless.path("metadata").path("name").asText() + "." + headless.path("metadata").path("namespace").asText() + ".svc.cluster.local";

    assertTrue(join.getKubernetesConfig().isEnabled());
    assertEquals(expectedDns, join.getKubernetesConfig().getProperty("service-dns"));
    assertFalse(join.getTcpIpConfig().isEnabled());
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.getAutoDetectionConfig().isEnabled());
    join.verify(); // Hazelcast's own rule: exactly one join method
    assertEquals("chorus", config.getClusterName());
    assertEquals(headless.path("spec").path("ports").get(0).path("port").asInt(), config.getNetworkConfig().getPort());
  }

  @Test
  void kubernetesDiscoveryWithoutAServiceNameIsAClearError() {
    JsonObject cluster = new JsonObject().put("configFile", "config/cluster.xml").put("discovery", "kubernetes").put("kubernetesServiceDns", "");
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> HazelcastSetup.build(cluster, "n1#x"));
    assertTrue(e.getMessage().startsWith("cluster.kubernetesServiceDns must name the headless Service"), e.getMessage());
    JsonObject unknown = new JsonObject().put("configFile", "config/cluster.xml").put("discovery", "multicast");
    assertEquals("cluster.discovery must be tcp-ip or kubernetes, got 'multicast'",
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> HazelcastSetup.build(unknown, "n1#x")).getMessage());
  }

  @Test
  void theDefaultStaysTcpIpWithTheMemberList() {
    JsonObject cluster = new JsonObject().put("configFile", "config/cluster.xml").put("members", "127.0.0.1:5701-5702");
    JoinConfig join = HazelcastSetup.build(cluster, "n1#x").getNetworkConfig().getJoin();
    assertTrue(join.getTcpIpConfig().isEnabled());
    assertEquals(List.of("127.0.0.1:5701", "127.0.0.1:5702"), join.getTcpIpConfig().getMembers());
    assertFalse(join.getKubernetesConfig().isEnabled());
  }

  // --- nginx -------------------------------------------------------------------------------

  @Test
  void nginxAcceptsTheConfigTheClusterScriptRenders() throws Exception {
    Path prefix = render(18080, 18081, 3);
    String conf = Files.readString(prefix.resolve("nginx.conf"));
    for (int port = 18081; port <= 18083; port++) {
      assertTrue(conf.contains("server 127.0.0.1:" + port + " max_fails=0;"), conf);
    }
    // a dead node's clients all come back at once: a long accept queue
    assertTrue(conf.contains("listen 18080 backlog=4096;"), conf);
    String proxy = Files.readString(prefix.resolve("proxy.conf"));
    assertTrue(proxy.contains("proxy_next_upstream error timeout http_502 http_503;"));
    assertTrue(proxy.contains("proxy_read_timeout 3600s;") && proxy.contains("proxy_send_timeout 3600s;"));
    assertTrue(proxy.contains("proxy_set_header Connection $connection_upgrade;"));
    assertNginxAccepts(prefix, prefix.resolve("nginx.conf"));
  }

  @Test
  void nginxAcceptsTheComposeConfigOnceItsHostNamesResolve() throws Exception {
    // node1..3 resolve only inside compose's network: point them at this machine for the check
    String conf = Files.readString(Path.of("config/nginx/compose.conf")).replaceAll("server node(\\d):8080", "server 127.0.0.1:1808$1");
    assertTrue(conf.contains("server 127.0.0.1:18083"), "compose.conf names node1..node3");
    Files.writeString(tmp.resolve("nginx.conf"), conf);
    Files.copy(Path.of("config/nginx/proxy.conf"), tmp.resolve("proxy.conf"));
    Files.createDirectories(tmp.resolve("logs"));
    assertNginxAccepts(tmp, tmp.resolve("nginx.conf"));
  }

  /**
   * What the drain relies on: a node refusing a new WebSocket with 503 (as a draining node
   * does) costs the client nothing, nginx opens it on another node. Real nginx, the config
   * the script renders, two real HTTP servers, a real WebSocket client.
   */
  @Test
  void nginxOpensAWebSocketOnAnotherNodeWhenOneRefusesItWith503() throws Exception {
    int[] ports = freePorts(3);
    int lbPort = ports[0];
    int basePort = ports[1];
    Vertx vertx = Vertx.vertx();
    AtomicInteger refused = new AtomicInteger();
    Path prefix = render(lbPort, basePort, 2);
    try {
      HttpServer draining = vertx.createHttpServer().requestHandler(request -> {
        refused.incrementAndGet();
        request.response().setStatusCode(503).putHeader("content-type", "application/json")
            .end("{\"code\":\"DRAINING\",\"message\":\"node is draining\"}");
      });
      HttpServer serving = vertx.createHttpServer().webSocketHandler(ws -> ws.writeTextMessage("hello from " + ws.headers().get("Host")));
      Await.result(draining.listen(basePort, "127.0.0.1"));
      Await.result(serving.listen(basePort + 1, "127.0.0.1"));
      Process nginx = nginx(prefix, prefix.resolve("nginx.conf")).start();
      assertEquals(0, finish(nginx), "nginx did not start: " + output(nginx));
      try {
        // several sockets: least_conn sends some to the refusing node first, each must still open
        for (int i = 0; i < 6; i++) {
          // the JDK's client, as SmokeClient and the drill's clients use
          CompletableFuture<String> first = new CompletableFuture<>();
          java.net.http.WebSocket ws;
          try {
            ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + lbPort + "/ws/auth?token=secret-" + i), new java.net.http.WebSocket.Listener() {
                  @Override
                  public CompletionStage<?> onText(java.net.http.WebSocket socket, CharSequence data, boolean last) {
                    first.complete(data.toString());
                    return null;
                  }
                }).get(10, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            throw new AssertionError("socket " + i + " did not open through nginx; its access log:\n"
                + Files.readString(prefix.resolve("logs/access.log")), e);
          }
          assertEquals("hello from 127.0.0.1:" + lbPort, first.get(5, TimeUnit.SECONDS), "the node sees the Host the client used");
          ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        }
        assertTrue(refused.get() >= 1, "no socket was tried on the refusing node first, so the retry was not exercised");
        String access = Files.readString(prefix.resolve("logs/access.log"));
        assertTrue(access.contains("503, 101") || access.contains("503,101"), "nginx logs the refusal and the retry: " + access);
        assertFalse(access.contains("secret-"), "the access log must not hold the token of a socket URL");
      } finally {
        Process quit = nginx(prefix, prefix.resolve("nginx.conf")).command(nginxCommand(prefix, prefix.resolve("nginx.conf"), "-s", "stop")).start();
        finish(quit);
      }
    } finally {
      Await.result(vertx.close());
    }
  }

  // --- helpers -----------------------------------------------------------------------------

  /** Renders the nginx config as scripts/cluster does: the same shell function. */
  private Path render(int lbPort, int basePort, int size) throws Exception {
    Path prefix = tmp.resolve("nginx-" + lbPort);
    Process bash = new ProcessBuilder("bash", "-c",
        "set -e; source scripts/lib/common.sh; source scripts/lib/cluster.sh; cluster_render_nginx \"$0\" \"$1\" \"$2\" \"$3\"",
        prefix.toString(), String.valueOf(lbPort), String.valueOf(basePort), String.valueOf(size))
        .redirectErrorStream(true).start();
    assertEquals(0, finish(bash), "cluster_render_nginx failed: " + output(bash));
    return prefix;
  }

  private static void assertNginxAccepts(Path prefix, Path conf) throws Exception {
    Process test = nginx(prefix, conf).command(nginxCommand(prefix, conf, "-t")).start();
    int status = finish(test);
    assertEquals(0, status, "nginx -t rejected " + conf + ":\n" + output(test));
  }

  private static ProcessBuilder nginx(Path prefix, Path conf) {
    return new ProcessBuilder(nginxCommand(prefix, conf)).redirectErrorStream(true);
  }

  private static List<String> nginxCommand(Path prefix, Path conf, String... extra) {
    String binary = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
        .map(dir -> Path.of(dir, "nginx")).filter(Files::isExecutable).map(Path::toString).findFirst()
        .orElse(Files.isExecutable(Path.of("/usr/sbin/nginx")) ? "/usr/sbin/nginx" : null);
    if (binary == null) {
      fail("nginx is not installed: scripts/test installs it (ensure_nginx in scripts/lib/cluster.sh), or apt-get install nginx");
    }
    List<String> command = new ArrayList<>(List.of(binary, "-p", prefix.toAbsolutePath() + "/", "-e", prefix.toAbsolutePath().resolve("logs/error.log").toString(),
        "-c", conf.toAbsolutePath().toString()));
    command.addAll(List.of(extra));
    return command;
  }

  private static int finish(Process process) throws InterruptedException {
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("process did not finish within 30 s: " + process.info().commandLine().orElse("?"));
    }
    return process.exitValue();
  }

  private static String output(Process process) throws IOException {
    return new String(process.getInputStream().readAllBytes());
  }

  private static int[] freePorts(int count) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int first;
      try (ServerSocket socket = new ServerSocket(0)) {
        first = socket.getLocalPort();
      }
      if (first + count > 65535) {
        continue;
      }
      boolean free = true;
      for (int port = first; port < first + count && free; port++) {
        try (ServerSocket probe = new ServerSocket(port)) {
          probe.setReuseAddress(true);
        } catch (IOException taken) {
          free = false;
        }
      }
      if (free) {
        int[] ports = new int[count];
        for (int i = 0; i < count; i++) {
          ports[i] = first + i;
        }
        return ports;
      }
    }
    throw new IOException("no " + count + " consecutive free ports");
  }

  private static List<Path> yamlFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return new ArrayList<>(files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")).sorted().toList());
    }
  }

  private static List<JsonNode> documents(Path file) throws IOException {
    try (var parser = YAML.getFactory().createParser(file.toFile())) {
      return YAML.readValues(parser, JsonNode.class).readAll();
    }
  }

  private static List<JsonNode> manifests() throws IOException {
    List<JsonNode> all = new ArrayList<>();
    for (Path file : yamlFiles(K8S)) {
      all.addAll(documents(file));
    }
    return all;
  }

  private static JsonNode manifest(String kind) throws IOException {
    List<JsonNode> found = manifests().stream().filter(m -> m.path("kind").asText().equals(kind)).toList();
    assertEquals(1, found.size(), "expected one " + kind + " under config/k8s");
    return found.get(0);
  }

  private static JsonNode service(boolean headless) throws IOException {
    List<JsonNode> found = manifests().stream().filter(m -> m.path("kind").asText().equals("Service"))
        .filter(m -> m.path("spec").path("clusterIP").asText().equals("None") == headless).toList();
    assertEquals(1, found.size(), "expected one " + (headless ? "headless" : "client") + " Service");
    return found.get(0);
  }

  private static Map<String, String> configMap() throws IOException {
    Map<String, String> data = new HashMap<>();
    manifest("ConfigMap").path("data").fields().forEachRemaining(entry -> data.put(entry.getKey(), entry.getValue().asText()));
    return data;
  }

  /** config/node.json as a pod sees it: the ConfigMap's variables applied the node's way. */
  private static JsonObject effectiveNodeConfig() throws IOException {
    JsonObject file = new JsonObject(Files.readString(Path.of(NodeConfig.DEFAULT_PATH)));
    return NodeConfig.withEnvironment(file, configMap());
  }

  /** drain.timeoutMs as a pod runs it (config/node.json, then the ConfigMap's CHORUS_DRAIN_TIMEOUT_MS). */
  private static long drainTimeoutMs() throws IOException {
    JsonObject drain = effectiveNodeConfig().getJsonObject("drain");
    assertNotNull(drain, "config/node.json has no drain section");
    assertNotNull(drain.getLong("timeoutMs"), "config/node.json has no drain.timeoutMs");
    return drain.getLong("timeoutMs");
  }

  private static int containerPort(JsonNode container, String name) {
    for (JsonNode port : container.path("ports")) {
      if (port.path("name").asText().equals(name)) {
        return port.path("containerPort").asInt();
      }
    }
    fail("the container has no port named " + name);
    return -1;
  }

  /** The selector picks the Deployment's pods: each of its labels is on the pod template. */
  private static void assertSelects(JsonNode selector) throws IOException {
    JsonNode labels = manifest("Deployment").path("spec").path("template").path("metadata").path("labels");
    assertTrue(selector.size() > 0, "an empty selector");
    selector.fields().forEachRemaining(entry -> assertEquals(entry.getValue().asText(), labels.path(entry.getKey()).asText(),
        "selector " + entry.getKey() + " does not match the pod template's labels"));
  }
}
