package chorus.node;

import chorus.presence.PresenceVerticle;
import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.TcpIpConfig;
import io.vertx.core.json.JsonObject;
import java.io.FileNotFoundException;
import com.hazelcast.internal.util.ConcurrencyUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Hazelcast member config: config/cluster.xml, then the cluster section of the node config on top. */
final class HazelcastSetup {
  private HazelcastSetup() {}

  /**
   * The member attribute through which the presence role maps a Hazelcast member to the Chorus
   * node instance ({@code node.instance}: the node id plus this run's suffix) whose sockets it held.
   */
  static final String NODE_ATTRIBUTE = "chorus.node";

  /** Where Hazelcast runs its futures' callbacks; made once per JVM. */
  private static Executor futureCallbackThreads;

  /**
   * Hazelcast completes its futures' callbacks (every map call the presence role and the
   * cluster manager make) on the common ForkJoinPool, but when that pool has fewer than two
   * threads, as on a 2-core machine, it starts a new thread per callback instead: one per
   * rate-limited message. A small fixed pool of its own does that work instead.
   */
  static synchronized void completeFuturesOnPooledThreads() {
    if (futureCallbackThreads == null) {
      AtomicInteger count = new AtomicInteger();
      futureCallbackThreads = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), task -> {
        Thread thread = new Thread(task, "chorus-hz-callback-" + count.incrementAndGet());
        thread.setDaemon(true);
        return thread;
      });
      ConcurrencyUtil.setDefaultAsyncExecutor(futureCallbackThreads);
    }
  }

  static Config build(JsonObject cluster, String nodeInstance) {
    String file = cluster.getString("configFile", "config/cluster.xml");
    Config config;
    try {
      config = new FileSystemXmlConfig(file);
    } catch (FileNotFoundException e) {
      throw new IllegalStateException("Hazelcast config not found: " + file + " (set cluster.configFile / CHORUS_CLUSTER_CONFIG_FILE)", e);
    }
    config.setClusterName(cluster.getString("name", "chorus"));
    String host = cluster.getString("host", "127.0.0.1");
    config.setProperty("hazelcast.local.localAddress", host);
    config.getNetworkConfig().setPort(cluster.getInteger("port", 5701));
    if (cluster.containsKey("maxNoHeartbeatSeconds")) {
      // how long a silent member lives on: the bound on a dead node's ghost presence
      config.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(cluster.getInteger("maxNoHeartbeatSeconds")));
    }
    String discovery = cluster.getString("discovery", "tcp-ip");
    JoinConfig join = config.getNetworkConfig().getJoin();
    if (discovery.equals("kubernetes")) {
      useKubernetesDns(join, cluster.getString("kubernetesServiceDns", ""));
    } else if (!discovery.equals("tcp-ip")) {
      throw new IllegalArgumentException("cluster.discovery must be tcp-ip or kubernetes, got '" + discovery + "'");
    }
    TcpIpConfig tcpIp = join.getTcpIpConfig();
    if (tcpIp.isEnabled()) {
      tcpIp.setMembers(expandMembers(cluster.getString("members", host)));
    }
    config.getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, nodeInstance);
    // on every member, whatever its roles: each may own partitions of the presence maps
    config.getSerializationConfig().addSerializerConfig(PresenceVerticle.serializerConfig());
    return config;
  }

  /**
   * Hazelcast's built-in Kubernetes discovery in DNS lookup mode: members are the addresses
   * the headless Service's name resolves to (every pod behind it, ready or not, as the
   * Service publishes not-ready addresses), so no Kubernetes API access (RBAC) is needed.
   * Every other way of joining is turned off: Hazelcast accepts one.
   */
  private static void useKubernetesDns(JoinConfig join, String serviceDns) {
    if (serviceDns.isBlank()) {
      throw new IllegalArgumentException("cluster.kubernetesServiceDns must name the headless Service (e.g. chorus-hazelcast.chorus.svc.cluster.local)"
          + " when cluster.discovery is kubernetes");
    }
    join.getTcpIpConfig().setEnabled(false);
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getKubernetesConfig().setEnabled(true).setProperty("service-dns", serviceDns);
  }

  /** "127.0.0.1:5701-5703,10.0.0.5" -> 127.0.0.1:5701, 127.0.0.1:5702, 127.0.0.1:5703, 10.0.0.5 */
  static List<String> expandMembers(String members) {
    List<String> expanded = new ArrayList<>();
    for (String member : members.split(",")) {
      String trimmed = member.trim();
      int colon = trimmed.lastIndexOf(':');
      int dash = trimmed.indexOf('-', Math.max(colon, 0));
      if (colon > 0 && dash > colon) {
        String host = trimmed.substring(0, colon);
        int from = Integer.parseInt(trimmed.substring(colon + 1, dash));
        int to = Integer.parseInt(trimmed.substring(dash + 1));
        for (int port = from; port <= to; port++) {
          expanded.add(host + ":" + port);
        }
      } else if (!trimmed.isEmpty()) {
        expanded.add(trimmed);
      }
    }
    return expanded;
  }
}
