package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * The workloads of issue 6, each against a target speaking its real protocol. Runs on the
 * caller's (non-Vert.x) thread and waits with {@code Future.await()}; the sockets live on
 * the Vert.x event loops.
 */
final class Workloads {

  private final Vertx vertx;
  private final Args a;
  private final String host;
  private final List<Integer> ports;
  private final String target;
  private final ClientPool pool;
  private final LoopLag loopLag;
  private final String runId = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);

  Workloads(Vertx vertx, Args args) {
    this.vertx = vertx;
    this.a = args;
    this.host = args.str("host", "127.0.0.1");
    this.ports = args.ints("ports", "9381");
    this.target = args.str("target", "chorus");
    this.pool = new ClientPool(vertx, args.integer("source-addresses", 8));
    this.loopLag = new LoopLag(pool.loops());
  }

  private Tokens tokens() {
    return new Tokens(System.getenv("CHORUS_JWT_SECRET"));
  }

  private JsonObject header(String workload) {
    return new JsonObject().put("workload", workload).put("target", target).put("ports", new JsonArray(new ArrayList<>(ports)))
        .put("source_addresses", pool.addresses().size()).put("load_event_loops", pool.eventLoops())
        .put("node_cpus", a.str("node-cpus", "all"));
  }

  private static void log(String text) {
    System.err.println("[bench] " + text);
  }

  /** The PIDs of the Chorus nodes under load ({@code --pids}, a comma list); empty when not given. */
  private List<Long> nodePids() {
    List<Long> pids = new ArrayList<>();
    for (String p : a.str("pids", "").split(",")) {
      if (!p.isBlank()) {
        pids.add(Long.parseLong(p.strip()));
      }
    }
    return pids;
  }

  /**
   * Untimed load before a workload's measured steps: {@code slice} at least {@code minSlices}
   * times, then on, up to {@code maxSlices}, until one during which the JIT compiler threads of
   * every node in {@code --pids} used under {@code --warmup-jit-ms-per-s} (default 50) CPU ms a
   * second. A fresh JVM compiles for minutes on two shared cores (findings 40), and the figures
   * are meant to be a node in service's. Without {@code --pids} (a peer, or no PIDs known) it
   * runs the minimum. Returns what it did: {@code slices}, {@code seconds}, and the compilers'
   * rate in the last slice ({@code last_jit_ms_per_s}, -1 when not read) against the bound.
   */
  private JsonObject warmUntilSettled(String what, int minSlices, int maxSlices, Callable<?> slice) throws Exception {
    List<Long> pids = nodePids();
    double settledMsPerS = a.number("warmup-jit-ms-per-s", 50);
    double last = -1;
    int slices = 0;
    long start = System.nanoTime();
    while (slices < Math.max(minSlices, maxSlices) && (slices < minSlices || last > settledMsPerS)) {
      slices++;
      last = withStepCosts(pids, () -> {
        slice.call();
        return new JsonObject();
      }).getDouble("node_jit_ms_per_s");
      if (last >= 0) {
        log(what + ": warm-up " + slices + ": the busiest node's JIT compilers used " + last + " ms of CPU a second");
      }
    }
    return new JsonObject().put("slices", slices).put("min_slices", minSlices).put("max_slices", Math.max(minSlices, maxSlices))
        .put("seconds", Latency.round((System.nanoTime() - start) / 1e9))
        .put("jit_settled_ms_per_s", settledMsPerS).put("last_jit_ms_per_s", last);
  }

  /** A stretch of untimed open-loop load, {@code sliceMs} long. */
  @FunctionalInterface
  private interface LoadSlice {
    void run(long sliceMs) throws Exception;
  }

  /**
   * The open-loop workloads' warm-up: {@code --warmup-ms} of load in equal slices of at most
   * 15 s, then more slices, up to {@code --warmup-max-ms} in all, until the nodes' JIT has
   * settled ({@link #warmUntilSettled}).
   */
  private JsonObject warmOpenLoop(String what, LoadSlice load) throws Exception {
    long warmupMs = a.number("warmup-ms", 0);
    int minSlices = (int) Math.ceil(warmupMs / 15_000.0);
    long sliceMs = (long) Math.ceil(warmupMs / (double) minSlices);
    int maxSlices = (int) Math.ceil(Math.max(warmupMs, a.number("warmup-max-ms", warmupMs)) / (double) sliceMs);
    return warmUntilSettled(what, minSlices, maxSlices, () -> {
      load.run(sliceMs);
      return null;
    }).put("slice_ms", sliceMs);
  }

  /**
   * Runs {@code round} and adds to its figures what else went on meanwhile that its latencies
   * depend on: how much the nodes' JIT compiled ({@code node_jit_ms_per_s}: the most CPU ms per
   * second of the round that any node's compiler threads used; 1,000 is a whole core), to tell
   * settled nodes from ones still compiling their hot paths, -1 when a node's threads could not
   * be read or none are known; and how long this load generator stood still in its own
   * collections ({@code loadgen_gc_ms_per_s}), during which every frame it should have read is
   * timed late, whatever the target (docs/bench/findings.md, 50); how far behind its event
   * loops ran ({@code loadgen_loop_lag}, {@link LoopLag}), which delays every read as much; and
   * how far behind the Chorus nodes' event loops ran ({@code node_loop_lag}, all loops of the
   * nodes that answered before and after, from their {@code chorus_event_loop_lag_seconds}), and
   * how long the node that paused most stood still in its collections ({@code node_gc_ms_per_s},
   * from {@code jvm_gc_pause_seconds}), which every one of its loops waits for alike; and, in a
   * step with AI replies, the node's own time per delta ({@code node_delta_latency}).
   */
  private JsonObject withStepCosts(List<Long> nodePids, Callable<JsonObject> round) throws Exception {
    long[] before = nodePids.stream().mapToLong(CompilerCpu::millis).toArray();
    long gcBefore = ownCollectionMillis();
    List<String> nodeMetersBefore = scrapeEachNode();
    loopLag.take();
    long start = System.nanoTime();
    JsonObject figures = round.call();
    double seconds = (System.nanoTime() - start) / 1e9;
    double most = nodePids.isEmpty() ? -1 : 0;
    for (int n = 0; n < nodePids.size(); n++) {
      long after = CompilerCpu.millis(nodePids.get(n));
      most = before[n] < 0 || after < 0 || most < 0 ? -1 : Math.max(most, (after - before[n]) / seconds);
    }
    figures.put("node_jit_ms_per_s", most < 0 ? -1 : Latency.round(most))
        .put("loadgen_gc_ms_per_s", Latency.round((ownCollectionMillis() - gcBefore) / seconds))
        .put("loadgen_loop_lag", loopLag.take());
    List<String> nodeMetersAfter = scrapeEachNode();
    List<String> answeredBefore = new ArrayList<>();
    List<String> answeredAfter = new ArrayList<>();
    for (int n = 0; n < nodeMetersBefore.size(); n++) {
      if (nodeMetersBefore.get(n) != null && nodeMetersAfter.get(n) != null) {
        answeredBefore.add(nodeMetersBefore.get(n));
        answeredAfter.add(nodeMetersAfter.get(n));
      }
    }
    if (!answeredBefore.isEmpty()) {
      figures.put("node_loop_lag", NodeMetrics.eventLoopLag(answeredBefore, answeredAfter).put("nodes", answeredBefore.size()))
          .put("node_gc_ms_per_s", Latency.round(NodeMetrics.mostGcPauseMillis(answeredBefore, answeredAfter) / seconds));
      // an AI round's deltas, timed by the node from its read off the provider to its dispatch
      JsonObject deltas = NodeMetrics.aiDeltaLatency(answeredBefore, answeredAfter);
      if (deltas.getLong("count") > 0) {
        figures.put("node_delta_latency", deltas);
      }
      // what the commit takes of a durable step's latency
      JsonObject appends = NodeMetrics.appendLatency(answeredBefore, answeredAfter);
      if (appends.getLong("count") > 0) {
        figures.put("node_append_latency", appends);
      }
    }
    return figures;
  }

  /** Each Chorus node's {@code /metrics} text, null for one that did not answer (a killed node); all null for a peer, which has none. */
  private List<String> scrapeEachNode() {
    List<String> texts = new ArrayList<>();
    for (int port : ports) {
      texts.add("chorus".equals(target)
          ? NodeMetrics.scrape(vertx, host, port).timeout(5, TimeUnit.SECONDS).otherwise((String) null).await()
          : null);
    }
    return texts;
  }

  /** The time this JVM's collectors have taken so far (for G1 and Serial: their pauses). */
  private static long ownCollectionMillis() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream()
        .mapToLong(gc -> Math.max(0, gc.getCollectionTime())).sum();
  }

  // ---------------------------------------------------------------- 1. idle capacity

  JsonObject idle() throws Exception {
    int wanted = a.integer("sockets", 1000);
    int perConversation = a.integer("per-conversation", 100);
    long pid = a.number("pid", -1);
    int port = ports.get(0);
    Tokens tokens = tokens();
    ChorusRest rest = new ChorusRest(vertx, host, port, tokens);
    int users = (wanted + perConversation - 1) / perConversation;
    List<String> tokenOf = new ArrayList<>();
    for (int u = 0; u < users; u++) {
      tokenOf.add(tokens.token("idle-" + runId + "-" + u, false));
    }
    log("idle: creating " + users + " conversations");
    Batches.Outcome<String> convs = Batches.run(users, 8,
        u -> rest.createBot("idle-" + runId + "-" + u).compose(bot -> rest.createConversation("idle-" + runId + "-" + u, bot))).await();
    if (convs.failed() > 0) {
      throw new IllegalStateException("set-up failed: " + convs.firstFailure());
    }
    String memoryProblem = null;
    NodeMemory.Sample before = null;
    try {
      before = pid > 0 ? NodeMemory.sample(pid) : null;
    } catch (Exception e) {
      // jcmd cannot always attach (another user, a container): the socket count still stands
      memoryProblem = String.valueOf(e.getMessage());
    }
    Tracker tracker = new Tracker();
    Deliveries deliveries = Deliveries.oneNode(tracker);
    long t0 = System.nanoTime();
    log("idle: opening " + wanted + " sockets");
    Batches.Outcome<ChorusConversationClient> open = Batches.run(wanted, a.integer("connect-concurrency", 200), i -> {
      int u = i / perConversation;
      return ChorusConversationClient.connect(pool, host, port, tokenOf.get(u), convs.results().get(u), -1, null, i, deliveries);
    }).await();
    double openSeconds = (System.nanoTime() - t0) / 1e9;
    List<ChorusConversationClient> clients = BenchMain.present(open.results());
    Thread.sleep(a.number("settle-ms", 3000));
    long stillOpen = clients.stream().filter(RoomClient::isOpen).count();
    NodeMemory.Sample after = null;
    try {
      after = before != null ? NodeMemory.sample(pid) : null;
    } catch (Exception e) {
      memoryProblem = String.valueOf(e.getMessage());
    }
    JsonObject step = new JsonObject().put("label", wanted + " sockets wanted")
        .put("wanted", wanted).put("opened", clients.size()).put("still_open", stillOpen)
        .put("failed", open.failed()).put("first_failure", open.firstFailure())
        .put("open_seconds", Latency.round(openSeconds))
        .put("counts", new JsonObject().put("opened", clients.size()).put("failed", open.failed()));
    if (memoryProblem != null) {
      step.put("memory_unavailable", memoryProblem);
    }
    if (before != null && after != null && stillOpen > 0) {
      step.put("before", before.toJson()).put("after", after.toJson())
          .put("heap_per_socket_bytes", (after.heapUsedBytes() - before.heapUsedBytes()) / stillOpen)
          .put("rss_per_socket_bytes", (after.rssBytes() - before.rssBytes()) / stillOpen);
    }
    log("idle: closing");
    Batches.run(clients.size(), 500, i -> clients.get(i).close()).await();
    rest.close();
    JsonArray problems = new JsonArray();
    if (open.failed() + clients.size() != wanted) {
      problems.add("opened + failed != wanted");
    }
    return header("idle").put("goal_sockets", a.integer("goal-sockets", wanted)).put("fd_limit", a.integer("fd-limit", -1)).put("steps", new JsonArray().add(step)).put("problems", problems);
  }

  // ---------------------------------------------------------------- 2. durable round trip

  JsonObject roundTrip() throws Exception {
    int sockets = a.integer("sockets", 200);
    int users = Math.min(sockets, a.integer("users", 50));
    List<Integer> rates = a.ints("rates", "1000,5000,10000");
    long durationMs = a.number("duration-ms", 10_000);
    int port = ports.get(0);
    Tokens tokens = tokens();
    ChorusRest rest = new ChorusRest(vertx, host, port, tokens);
    List<String> userIds = new ArrayList<>();
    for (int u = 0; u < users; u++) {
      userIds.add("rt-" + runId + "-" + u);
    }
    log("roundtrip: " + users + " users, " + sockets + " conversations");
    Batches.Outcome<String> bots = Batches.run(users, 8, u -> rest.createBot(userIds.get(u))).await();
    Batches.Outcome<String> convs = Batches.run(sockets, 8,
        i -> rest.createConversation(userIds.get(i % users), bots.results().get(i % users))).await();
    if (bots.failed() + convs.failed() > 0) {
      throw new IllegalStateException("set-up failed: " + bots.firstFailure() + " / " + convs.firstFailure());
    }
    Deliveries deliveries = Deliveries.oneNode(new Tracker());
    Batches.Outcome<ChorusConversationClient> open = Batches.run(sockets, 100, i -> ChorusConversationClient.connect(pool, host, port,
        tokens.token(userIds.get(i % users), false), convs.results().get(i), -1, null, i, deliveries)).await();
    if (open.failed() > 0) {
      throw new IllegalStateException(open.failed() + " sockets failed to open: " + open.firstFailure());
    }
    List<ChorusConversationClient> clients = open.results();
    List<Long> nodePids = nodePids();
    JsonArray steps = new JsonArray();
    JsonArray problems = new JsonArray();
    int[] stepNo = {0};
    JsonObject warmup = new JsonObject();
    if (a.number("warmup-ms", 0) > 0) {
      // JIT and pools warm, not measured: a cold JVM's first seconds are not the system's latency
      log("roundtrip: warm-up " + rates.get(0) + " msg/s");
      warmup = warmOpenLoop("roundtrip", sliceMs -> {
        deliveries.tracker(new Tracker());
        int base = stepNo[0]++ * 10_000_000;
        runOpenLoop(deliveries.tracker(), rates.get(0), sliceMs, i -> {
          ChorusConversationClient client = clients.get((int) (i % sockets));
          return new Send(client, null, new Payload(client.index(), base + (int) (i / sockets), 0), 1);
        });
      });
    }
    for (int rate : rates) {
      Tracker tracker = new Tracker();
      deliveries.tracker(tracker);
      int base = stepNo[0]++ * 10_000_000;
      log("roundtrip: " + rate + " msg/s for " + durationMs + " ms");
      JsonObject step = withStepCosts(nodePids, () -> {
        runOpenLoop(tracker, rate, durationMs, i -> {
          ChorusConversationClient client = clients.get((int) (i % sockets));
          Payload payload = new Payload(client.index(), base + (int) (i / sockets), 0);
          return new Send(client, null, payload, 1);
        });
        return step(rate + " msg/s", rate, durationMs, tracker, problems);
      });
      steps.add(step);
      settle(tracker);
      if (saturated(step)) {
        log("roundtrip: " + rate + " msg/s is past what this node holds; the higher rates are not run");
        break;
      }
    }
    Batches.run(clients.size(), 200, i -> clients.get(i).close()).await();
    rest.close();
    return header("roundtrip").put("sockets", sockets).put("users", users).put("rates_asked", new JsonArray(new ArrayList<>(rates)))
        .put("warmup_ms", Math.round(warmup.getDouble("seconds", 0.0) * 1000)).put("warmup", warmup)
        .put("steps", steps).put("problems", problems);
  }

  // ---------------------------------------------------------------- 3/4. fan-out (one node or several)

  JsonObject fanOut() throws Exception {
    int members = a.integer("members", 100);
    List<Integer> conversationSteps = a.ints("conversations", "1");
    int maxConversations = conversationSteps.stream().mapToInt(Integer::intValue).max().orElse(1);
    double memberRate = Double.parseDouble(a.str("member-rate", "1"));
    long durationMs = a.number("duration-ms", 10_000);
    int sockets = maxConversations * members;
    int[] senderNode = new int[sockets];
    for (int i = 0; i < sockets; i++) {
      senderNode[i] = i % ports.size();
    }
    List<String> rooms = new ArrayList<>();
    Tokens tokens = "chorus".equals(target) ? tokens() : null;
    List<String> userIds = new ArrayList<>();
    for (int i = 0; i < sockets; i++) {
      userIds.add("fan-" + runId + "-" + i);
    }
    if ("chorus".equals(target)) {
      ChorusRest rest = new ChorusRest(vertx, host, ports.get(0), tokens);
      log("fanout: creating " + maxConversations + " conversations of " + members + " members");
      Batches.Outcome<String> convs = Batches.run(maxConversations, 2,
          c -> rest.conversationWithMembers(userIds.get(c * members), userIds.subList(c * members, (c + 1) * members))).await();
      if (convs.failed() > 0) {
        throw new IllegalStateException("set-up failed: " + convs.firstFailure());
      }
      rooms.addAll(convs.results());
      rest.close();
    } else {
      for (int c = 0; c < maxConversations; c++) {
        rooms.add("room-" + runId + "-" + c);
      }
    }
    Tracker first = new Tracker();
    List<Deliveries> perNode = new ArrayList<>();
    for (int n = 0; n < ports.size(); n++) {
      perNode.add(new Deliveries(first, ports.size() > 1 ? senderNode : null, n));
    }
    log("fanout[" + target + "]: opening " + sockets + " sockets on " + ports);
    Batches.Outcome<RoomClient> open = Batches.run(sockets, 100, i -> {
      int node = senderNode[i];
      Future<? extends RoomClient> f = switch (target) {
        case "chorus" -> ChorusUserClient.connect(pool, host, ports.get(node), tokens.token(userIds.get(i), false), false, i, perNode.get(node));
        case "raw" -> RawClient.connect(pool, host, ports.get(node), i, perNode.get(node));
        case "socketio" -> SocketIoClient.connect(pool, host, ports.get(node), i, perNode.get(node));
        default -> throw new IllegalArgumentException("unknown target " + target);
      };
      return f.compose(client -> client.join(rooms.get(i / members)).map((RoomClient) client));
    }).await();
    if (open.failed() > 0) {
      throw new IllegalStateException(open.failed() + " sockets failed to open or join: " + open.firstFailure());
    }
    List<RoomClient> clients = open.results();
    List<Long> nodePids = nodePids();
    JsonArray steps = new JsonArray();
    JsonArray problems = new JsonArray();
    int[] stepNo = {0};
    JsonObject warmup = new JsonObject();
    if (a.number("warmup-ms", 0) > 0) {
      log("fanout[" + target + "]: warm-up " + members + " msg/s");
      warmup = warmOpenLoop("fanout[" + target + "]", sliceMs -> {
        Tracker warm = new Tracker();
        perNode.forEach(d -> d.tracker(warm));
        int base = stepNo[0]++ * 10_000_000;
        // the first step's rate, spread over every conversation the steps will use: with one
        // conversation only, Chorus's appends all went to the one persistence role it is routed
        // to, and the steps then ran on two roles (of three) and on feeds that had carried nothing
        // (p99 at 20k cross-node fell from 101 to 25 ms over six steps as they compiled, findings 47)
        runOpenLoop(warm, members * memberRate, sliceMs, roomSends(clients, rooms, members, sockets, base));
      });
    }
    for (int conversations : conversationSteps) {
      Tracker tracker = new Tracker();
      perNode.forEach(d -> d.tracker(tracker));
      int senders = conversations * members;
      double rate = senders * memberRate;
      int base = stepNo[0]++ * 10_000_000;
      log("fanout[" + target + "]: " + conversations + " conversations x " + members + " members, " + rate + " msg/s");
      // how much the nodes compiled during the step: a rate the warm-up did not reach can take
      // paths it did not compile (bigger batches, several frames per write)
      JsonObject step = withStepCosts(nodePids, () -> {
        runOpenLoop(tracker, rate, durationMs, roomSends(clients, rooms, members, senders, base));
        return step(conversations + " x " + members, rate, durationMs, tracker, problems);
      }).put("conversations", conversations).put("members", members);
      if (ports.size() > 1) {
        step.put("same_node_latency", tracker.sameNodeLatency.toJson()).put("cross_node_latency", tracker.crossNodeLatency.toJson());
      }
      steps.add(step);
      settle(tracker);
      if (saturated(step)) {
        log("fanout[" + target + "]: " + conversations + " conversations is past what it holds; the bigger steps are not run");
        break;
      }
    }
    Batches.run(clients.size(), 200, i -> clients.get(i).close()).await();
    return header(ports.size() > 1 ? "crossnode" : "fanout").put("members", members).put("member_rate", memberRate)
        .put("warmup_ms", Math.round(warmup.getDouble("seconds", 0.0) * 1000)).put("warmup", warmup)
        .put("steps", steps).put("problems", problems);
  }

  /**
   * The fan-out's sends: the first {@code senders} clients in turn, each to its own
   * conversation (client s is a member of conversation s / members), numbered from {@code base}.
   */
  private static SendPlan roomSends(List<RoomClient> clients, List<String> rooms, int members, int senders, int base) {
    return i -> {
      int s = (int) (i % senders);
      RoomClient client = clients.get(s);
      return new Send(client, rooms.get(s / members), new Payload(client.index(), base + (int) (i / senders), 0), members);
    };
  }

  // ---------------------------------------------------------------- 5. AI streaming

  /**
   * How a round asks. A burst: every conversation asks once, all within a second (their
   * claims, provider calls and stored replies come together). Steady: asks arrive open-loop
   * at {@code generations} per reply's length, each to a conversation whose last reply is
   * complete, so about {@code generations} replies stream at any moment while as many start
   * and end as in service; asks from the second reply-length to the last but one are
   * measured (the first ramps the streams up, the last ramps them down).
   */
  private record AiShape(String name, int asks, double asksPerSecond, int firstMeasured, int endMeasured) {
    static AiShape burst(int generations) {
      return new AiShape("burst", generations, Math.min(generations, 1000), 0, generations);
    }

    static AiShape steady(int generations, int tokens, long intervalMs, int replyLengths) {
      return new AiShape("steady", generations * replyLengths, generations * 1000.0 / (tokens * intervalMs), generations,
          generations * (replyLengths - 1));
    }

    boolean measured(int ask) {
      return ask >= firstMeasured && ask < endMeasured;
    }
  }

  /**
   * Conversation-profile sockets, each its own conversation with a bot: {@code --generations}
   * for the burst rounds, half as many again (at least 20) for the steady round: a conversation
   * asks again only once its reply is complete, and a reply takes its length plus the time to its
   * first delta and to being stored. Warm-up rounds (each a burst and, when a steady round is
   * measured, a steady round of 3 reply lengths; {@code --warmup-tokens} words per reply; not
   * measured) run first on the same sockets: at least {@code --warmup-rounds}, then on, up to
   * {@code --warmup-max-rounds}, until one in which the node's JIT compiler threads (of process
   * {@code --pids}) used under {@code --warmup-jit-ms-per-s} (default 50) CPU ms a second, so the
   * measured rounds see a node whose hot paths are compiled, as a node in service has; then a
   * measured burst, then a steady round of {@code --steady-reply-lengths} reply lengths (0:
   * none). One fake provider serves every round.
   */
  JsonObject aiStreaming() throws Exception {
    int generations = a.integer("generations", 1000);
    int tokensPerReply = a.integer("tokens", 100);
    int warmupTokens = a.integer("warmup-tokens", 0);
    long intervalMs = a.number("token-interval-ms", 50);
    int steadyLengths = a.integer("steady-reply-lengths", 4);
    if (steadyLengths != 0 && steadyLengths < 3) {
      throw new IllegalArgumentException("--steady-reply-lengths is 0 (no steady round) or at least 3 (ramp up, measured, ramp down)");
    }
    int conversations = steadyLengths > 0 ? generations + Math.max(20, generations / 2) : generations;
    int usersCount = Math.min(generations, a.integer("users", 100));
    int port = ports.get(0);
    Tokens tokens = tokens();
    ChorusRest rest = new ChorusRest(vertx, host, port, tokens);
    List<String> userIds = new ArrayList<>();
    for (int u = 0; u < usersCount; u++) {
      userIds.add("ai-" + runId + "-" + u);
    }
    Batches.Outcome<String> bots = Batches.run(usersCount, 8, u -> rest.createBot(userIds.get(u))).await();
    Batches.Outcome<String> convs = Batches.run(conversations, 8,
        g -> rest.createConversation(userIds.get(g % usersCount), bots.results().get(g % usersCount))).await();
    if (bots.failed() + convs.failed() > 0) {
      throw new IllegalStateException("set-up failed: " + bots.firstFailure() + " / " + convs.firstFailure());
    }
    Deliveries noPayloads = Deliveries.oneNode(new Tracker());
    Batches.Outcome<ChorusConversationClient> open = Batches.run(conversations, 100, g -> ChorusConversationClient.connect(pool, host, port,
        tokens.token(userIds.get(g % usersCount), false), convs.results().get(g), -1, "stream=true", g, noPayloads)).await();
    if (open.failed() > 0) {
      throw new IllegalStateException(open.failed() + " sockets failed to open: " + open.firstFailure());
    }
    List<ChorusConversationClient> clients = open.results();
    List<ChorusConversationClient> burstClients = clients.subList(0, generations);
    JsonArray problems = new JsonArray();
    FakeModelServer provider = new FakeModelServer(vertx, intervalMs);
    int providerPort = provider.listen(a.integer("provider-port", 9390)).await();
    log("ai: fake OpenAI-compatible provider on " + providerPort);
    // after 3 warm-up bursts the node's compilers still took 11-30% of a core through the measured
    // rounds on a 2-core host, and a node warmed on bursts alone compiled again in its first steady
    // round (findings 40); so the warm-up waits for the JIT, and when a steady round is measured
    // each warm-up round is a burst and then a steady round of 3 reply lengths
    int warmupRounds = warmupTokens > 0 ? a.integer("warmup-rounds", 1) : 0;
    int warmupMaxRounds = warmupTokens > 0 ? a.integer("warmup-max-rounds", warmupRounds) : 0;
    List<Long> nodePids = nodePids();
    JsonObject warmupCounts = new JsonObject();
    int[] rounds = {0}; // every round, warm-up or measured, has its own number: the words it is answered in name it
    JsonObject warmed = warmUntilSettled("ai", warmupRounds, warmupMaxRounds, () -> {
      List<JsonObject> warm = new ArrayList<>();
      warm.add(aiRound(burstClients, provider, ++rounds[0], true, warmupTokens, intervalMs, AiShape.burst(generations), problems));
      if (steadyLengths > 0) {
        warm.add(aiRound(clients, provider, ++rounds[0], true, warmupTokens, intervalMs, AiShape.steady(generations, warmupTokens, intervalMs, 3), problems));
      }
      for (JsonObject w : warm) {
        w.getJsonObject("counts").forEach(count -> warmupCounts.put(count.getKey(),
            warmupCounts.getLong(count.getKey(), 0L) + ((Number) count.getValue()).longValue()));
      }
      return null;
    });
    int warmedRounds = warmed.getInteger("slices");
    JsonArray steps = new JsonArray();
    JsonObject burst = withStepCosts(nodePids, () -> aiRound(burstClients, provider, ++rounds[0], false, tokensPerReply, intervalMs,
        AiShape.burst(generations), problems));
    if (warmedRounds > 0) {
      burst.put("warmup", new JsonObject().put("rounds", warmedRounds).put("tokens_per_reply", warmupTokens).put("with_steady", steadyLengths > 0)
          .put("counts", warmupCounts).put("seconds", warmed.getDouble("seconds")).put("min_rounds", warmupRounds)
          .put("max_rounds", warmed.getInteger("max_slices")).put("jit_settled_ms_per_s", warmed.getDouble("jit_settled_ms_per_s"))
          .put("last_round_jit_ms_per_s", warmed.getDouble("last_jit_ms_per_s")));
    }
    steps.add(burst);
    if (steadyLengths > 0) {
      steps.add(withStepCosts(nodePids, () -> aiRound(clients, provider, ++rounds[0], false, tokensPerReply, intervalMs,
          AiShape.steady(generations, tokensPerReply, intervalMs, steadyLengths), problems)).put("concurrent_wanted", generations));
    }
    Batches.run(clients.size(), 200, i -> clients.get(i).close()).await();
    provider.close().await();
    rest.close();
    return header("ai").put("steps", steps).put("problems", problems);
  }

  /**
   * One round: asks go out open-loop as {@code shape} says, each to a conversation with no
   * reply under way, waiting for one when none is ({@code message_id} ai-ROUND-ASK), and each
   * reply streams from the fake provider. Counted: every ask acked, every word delivered once, every reply stored.
   */
  private JsonObject aiRound(List<ChorusConversationClient> clients, FakeModelServer provider, int round, boolean warmUp,
      int tokensPerReply, long intervalMs, AiShape shape, JsonArray problems) throws Exception {
    provider.newRound(round, tokensPerReply, shape.asks());
    log("ai: round " + round + " (" + shape.name() + "): " + shape.asks() + " asks, " + tokensPerReply + " tokens per reply");
    Tracker tracker = new Tracker();
    Latency added = new Latency();
    Latency firstDelta = new Latency();
    Timeline timeline = new Timeline(System.nanoTime());
    LongAdder resumed = new LongAdder();
    LongAdder replies = new LongAdder();
    LongAdder resends = new LongAdder();
    LongAdder measuredDeltas = new LongAdder();
    LongAdder lateWords = new LongAdder();
    LongAdder lateReplies = new LongAdder();
    LongAccumulator measuredFrom = new LongAccumulator(Math::min, Long.MAX_VALUE);
    LongAccumulator measuredTo = new LongAccumulator(Math::max, Long.MIN_VALUE);
    long[] askedAt = new long[shape.asks()];
    // the ask each conversation's reply under way answers; a conversation is free once that reply is complete
    AtomicIntegerArray askOf = new AtomicIntegerArray(clients.size());
    ConcurrentLinkedQueue<Integer> free = new ConcurrentLinkedQueue<>();
    for (int g = 0; g < clients.size(); g++) {
      free.add(g);
    }
    // an ask due while every conversation has a reply under way waits for the next to finish:
    // the offered load stays, and the wait shows in the first-delta latency (taken from the
    // ask's intended time), as a user's would
    ConcurrentLinkedQueue<long[]> waiting = new ConcurrentLinkedQueue<>(); // ask, intended
    LongAdder asksWaited = new LongAdder();
    Runnable dispatch = () -> {
      synchronized (free) {
        while (!waiting.isEmpty() && !free.isEmpty()) {
          long[] due = waiting.poll();
          int g = free.poll();
          int ask = (int) due[0];
          askOf.set(g, ask);
          askedAt[ask] = due[1];
          tracker.sent(new Payload(g, ask, due[1]), tokensPerReply);
          clients.get(g).sendText(FakeModelServer.prompt(round, g, ask), aiMessageId(round, ask));
        }
      }
    };
    LongSet seen = new LongSet();
    for (ChorusConversationClient client : clients) {
      int g = client.index();
      client.otherFrames(frame -> {
        long now = System.nanoTime();
        switch (frame.getString("type", "")) {
          case "message_received" -> tracker.acked(Payload.key(g, askOf.get(g)), now);
          case "assistant_delta" -> {
            if (frame.getBoolean("resumed", false)) {
              resumed.increment();
              return;
            }
            int[] word = FakeModelServer.parseToken(frame.getString("delta"));
            if (word != null && word[0] != round) {
              lateWords.increment(); // an earlier round's job, retried after its lease ran out: not this round's
              return;
            }
            if (word == null || word[1] != g) {
              tracker.stray();
              return;
            }
            int ask = word[2];
            int index = word[3];
            boolean first;
            synchronized (seen) {
              first = seen.add((long) ask * (tokensPerReply + 1) + index);
            }
            if (!first) {
              tracker.counts.duplicates.increment();
              return;
            }
            tracker.counts.delivered.increment();
            long emitted = provider.emittedAt(ask, index);
            if (emitted > 0) {
              timeline.recordNanos(now, now - emitted);
              if (shape.measured(ask)) {
                added.recordNanos(now - emitted);
                measuredDeltas.increment();
                measuredFrom.accumulate(now);
                measuredTo.accumulate(now);
              }
            }
            if (index == 1 && shape.measured(ask)) {
              firstDelta.recordNanos(now - askedAt[ask]);
            }
          }
          case "assistant_message" -> {
            int[] first = FakeModelServer.parseToken(frame.getJsonObject("message", new JsonObject()).getString("content"));
            if (first != null && first[0] != round) {
              lateReplies.increment(); // its conversation is still busy with this round's ask
              return;
            }
            replies.increment();
            free.add(g);
            dispatch.run();
          }
          // "MESSAGE_ERROR: send it again with the same message_id" (docs/protocol/conversation.md)
          case "error" -> {
            if ("MESSAGE_ERROR".equals(frame.getString("code"))) {
              resends.increment();
              int ask = askOf.get(g);
              vertx.setTimer(200, t -> client.sendText(FakeModelServer.prompt(round, g, ask), aiMessageId(round, ask)));
            }
          }
          default -> { }
        }
      });
    }
    long t0 = System.nanoTime();
    runOpenLoop(shape.asks(), shape.asksPerSecond(), (i, intended) -> {
      if (free.isEmpty()) {
        asksWaited.increment();
      }
      waiting.add(new long[] {i, intended});
      dispatch.run();
    });
    long deadline = System.currentTimeMillis() + tokensPerReply * intervalMs + a.number("drain-ms", 30_000);
    while (System.currentTimeMillis() < deadline && replies.sum() < shape.asks()) {
      Thread.sleep(200);
    }
    String prefix = warmUp ? "warm-up round " + round + ": " : "";
    if (!waiting.isEmpty()) {
      problems.add(prefix + waiting.size() + " asks never found a conversation free before the round's deadline");
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    double measuredSeconds = measuredDeltas.sum() > 1 ? (measuredTo.get() - measuredFrom.get()) / 1e9 : 0;
    JsonObject step = new JsonObject().put("shape", shape.name())
        .put("label", shape.asks() + " asks (" + shape.name() + ") x " + tokensPerReply + " tokens @ " + (1000 / intervalMs) + "/s")
        .put("generations", shape.asks()).put("conversations", clients.size())
        .put("asks_per_s", Latency.round(shape.asksPerSecond()))
        .put("measured_asks", new JsonArray().add(shape.firstMeasured()).add(shape.endMeasured()))
        .put("tokens_per_reply", tokensPerReply).put("token_interval_ms", intervalMs)
        .put("counts", tracker.counts.toJson().put("replies_stored", replies.sum()).put("resumed_deltas", resumed.sum())
            .put("prompts_sent_again", resends.sum()).put("asks_waited_for_a_conversation", asksWaited.sum())
            .put("late_replies_of_an_earlier_round", lateReplies.sum()).put("late_words_of_an_earlier_round", lateWords.sum()))
        .put("errors", tracker.errorsJson())
        .put("ack_latency", tracker.ackLatency.toJson())
        .put("delivery_latency", added.toJson())
        .put("delivery_timeline", timeline.toJson())
        .put("first_delta_latency", firstDelta.toJson())
        .put("provider_max_concurrent", provider.maxConcurrent())
        .put("deltas_per_s", Latency.round(tracker.counts.delivered.sum() / seconds))
        .put("measured_deltas", measuredDeltas.sum())
        .put("measured_deltas_per_s", measuredSeconds > 0 ? Latency.round(measuredDeltas.sum() / measuredSeconds) : 0)
        .put("seconds", Latency.round(seconds));
    tracker.counts.problems(false).forEach(problem -> problems.add(prefix + problem));
    return step;
  }

  private static String aiMessageId(int round, int ask) {
    return "ai-" + round + "-" + ask;
  }

  // ---------------------------------------------------------------- 6. reconnect storm

  /**
   * Sockets through the load balancer, spread over the nodes; messages flow at a low rate;
   * the node holding the most sockets is SIGKILLed; every socket it held reconnects through
   * the load balancer with {@code last_seq} (resume) and re-sends what was not acknowledged
   * (same {@code message_id}: idempotent), as a real client does. Measured: time from the
   * kill to the last socket back ({@code connection_ack}); then every acked message must
   * have reached every socket of its conversation exactly once.
   *
   * <p>Before the kill, with the messages already flowing, every socket leaves and comes back
   * with {@code last_seq} ({@code --warmup-rounds}, then more rounds up to
   * {@code --warmup-max-rounds} until the nodes' JIT has settled, as for the other workloads):
   * the one connect per socket of the set-up is about 3,300 per node, under C2's thresholds, so
   * the survivors compiled their connect path in the storm itself; a node in service has taken
   * many more connects than that.
   */
  JsonObject reconnect() throws Exception {
    int sockets = a.integer("sockets", 10_000);
    int perConversation = a.integer("per-conversation", 10);
    int lbPort = a.integer("lb-port", 9380);
    List<Long> pids = nodePids();
    double rate = Double.parseDouble(a.str("rate", "200"));
    long beforeMs = a.number("before-ms", 3000);
    long maxWaitMs = a.number("max-wait-ms", 60_000);
    Tokens tokens = tokens();
    ChorusRest rest = new ChorusRest(vertx, host, lbPort, tokens);
    int conversations = (sockets + perConversation - 1) / perConversation;
    List<String> owners = new ArrayList<>();
    for (int c = 0; c < conversations; c++) {
      owners.add("rc-" + runId + "-" + c);
    }
    log("reconnect: creating " + conversations + " conversations");
    Batches.Outcome<String> convs = Batches.run(conversations, 8,
        c -> rest.createBot(owners.get(c)).compose(bot -> rest.createConversation(owners.get(c), bot))).await();
    if (convs.failed() > 0) {
      throw new IllegalStateException("set-up failed: " + convs.firstFailure());
    }
    Tracker tracker = new Tracker();
    Deliveries deliveries = Deliveries.oneNode(tracker);
    List<ResumingSocket> all = new ArrayList<>();
    for (int i = 0; i < sockets; i++) {
      int c = i / perConversation;
      all.add(new ResumingSocket(i, convs.results().get(c), tokens.token(owners.get(c), false), lbPort, deliveries));
    }
    log("reconnect: opening " + sockets + " sockets through the load balancer on " + lbPort);
    Batches.Outcome<Void> open = Batches.run(sockets, 200, i -> all.get(i).open()).await();
    if (open.failed() > 0) {
      throw new IllegalStateException(open.failed() + " sockets failed to open: " + open.firstFailure());
    }
    Promise<Void> stopTraffic = Promise.promise();
    LongAdder notSent = new LongAdder();
    int[] counter = {0};
    // the traffic: open loop over the conversations, sent on one open socket of each, from the
    // warm-up until every dropped socket is back
    Future<Long> traffic = OpenLoop.run(vertx, rate, TimeUnit.DAYS.toMillis(1), stopTraffic.future(), (i, intended) -> {
      int c = (int) (i % conversations);
      ResumingSocket sender = null;
      for (int k = 0; k < perConversation && c * perConversation + k < sockets; k++) {
        ResumingSocket candidate = all.get(c * perConversation + k);
        if (candidate.isUp()) {
          sender = candidate;
          break;
        }
      }
      if (sender == null) {
        notSent.increment();
        return;
      }
      int receivers = Math.min(perConversation, sockets - c * perConversation);
      sender.send(new Payload(sender.index, counter[0]++, intended), receivers);
    });
    int warmupRounds = a.integer("warmup-rounds", 0);
    JsonObject warmup = warmUntilSettled("reconnect", warmupRounds, a.integer("warmup-max-rounds", warmupRounds), () -> {
      Batches.Outcome<Void> back = Batches.run(sockets, 200, i -> all.get(i).leaveAndResume()).await();
      if (back.failed() > 0) {
        throw new IllegalStateException(back.failed() + " sockets failed to come back in the warm-up: " + back.firstFailure());
      }
      return null;
    });
    long warmupAttempts = all.stream().mapToLong(s -> s.attempts).sum();
    Thread.sleep(beforeMs);
    // which node holds the most: the nodes' own gauge
    int victim = -1;
    long most = -1;
    JsonArray held = new JsonArray();
    for (int n = 0; n < ports.size(); n++) {
      long count = NodeMetrics.socketsOpen(vertx, host, ports.get(n)).await();
      held.add(count);
      if (count > most) {
        most = count;
        victim = n;
      }
    }
    log("reconnect: sockets per node " + held.encode() + "; killing node " + (victim + 1) + " (pid " + pids.get(victim) + ")");
    AtomicLong killAt = new AtomicLong(Long.MAX_VALUE);
    List<Integer> survivors = new ArrayList<>();
    List<Long> survivorPids = new ArrayList<>();
    for (int n = 0; n < ports.size(); n++) {
      if (n != victim) {
        survivors.add(ports.get(n));
        survivorPids.add(pids.get(n));
      }
    }
    List<String> stagesBefore = scrapeAll(survivors);
    long victimPid = pids.get(victim);
    // how much the survivors compiled during the storm: the figure says whether it ran on compiled code
    JsonObject storm = withStepCosts(survivorPids, () -> {
      killAt.set(System.nanoTime());
      ProcessHandle.of(victimPid).ifPresent(ProcessHandle::destroyForcibly);
      long deadline = System.currentTimeMillis() + maxWaitMs;
      while (System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
        long dropped = all.stream().filter(s -> s.droppedAt > 0).count();
        long down = all.stream().filter(s -> !s.isUp()).count();
        if (dropped > 0 && down == 0 && System.nanoTime() - killAt.get() > 2_000_000_000L) {
          break;
        }
      }
      return new JsonObject();
    });
    stopTraffic.complete();
    // how long each connect step of the reconnects took on the nodes that took them
    List<String> stagesAfter = scrapeAll(survivors);
    JsonArray connectStages = new JsonArray();
    NodeMetrics.CONNECT_STAGES.forEach(stage -> connectStages.add(NodeMetrics.connectStage(stagesBefore, stagesAfter, "conversation", stage)));
    traffic.await();
    // let resends, replays and the last acks arrive
    drain(tracker);
    long dropped = all.stream().filter(s -> s.droppedAt > 0).count();
    long stillDown = all.stream().filter(s -> !s.isUp()).count();
    long lastBack = all.stream().filter(s -> s.droppedAt > 0).mapToLong(s -> s.backAt).max().orElse(0);
    double recovery = lastBack > 0 && stillDown == 0 ? (lastBack - killAt.get()) / 1e9 : -1;
    long attempts = all.stream().mapToLong(s -> s.attempts).sum() - warmupAttempts;
    // each reconnect's downtime, whole and in three parts: until the attempt that got in started
    // (jitter, earlier attempts), its upgrade (TCP, nginx, the node's HTTP handling), the node's connect steps until connection_ack
    Latency perSocket = new Latency();
    Latency untilAttempt = new Latency();
    Latency upgrade = new Latency();
    Latency untilAck = new Latency();
    all.stream().filter(s -> s.droppedAt > 0 && s.backAt > 0).forEach(s -> {
      perSocket.recordNanos(s.backAt - s.droppedAt);
      untilAttempt.recordNanos(s.attemptAt - s.droppedAt);
      upgrade.recordNanos(s.upgradedAt - s.attemptAt);
      untilAck.recordNanos(s.backAt - s.upgradedAt);
    });
    JsonObject downtimeParts = new JsonObject().put("drop_to_attempt", untilAttempt.toJson()).put("attempt_to_upgraded", upgrade.toJson())
        .put("upgraded_to_ack", untilAck.toJson());
    JsonObject step = new JsonObject().put("label", sockets + " sockets, node " + (victim + 1) + " killed")
        .put("sockets", sockets).put("sockets_per_node_before", held).put("killed_node", victim + 1)
        .put("dropped", dropped).put("still_down", stillDown).put("reconnect_attempts", attempts)
        .put("recovery_seconds", Latency.round(recovery))
        .put("survivors_jit_ms_per_s", storm.getDouble("node_jit_ms_per_s"))
        .put("downtime_per_socket", perSocket.toJson())
        .put("downtime_parts", downtimeParts)
        .put("not_sent_no_socket_up", notSent.sum())
        .put("resend_echoes", tracker.resendEchoes.sum())
        .put("failed_attempts", failuresJson())
        .put("connect_stages_on_survivors", connectStages)
        .put("counts", tracker.counts.toJson()).put("errors", tracker.errorsJson())
        .put("ack_latency", tracker.ackLatency.toJson()).put("delivery_latency", tracker.deliveryLatency.toJson());
    JsonArray problems = new JsonArray();
    tracker.counts.problems(a.flag("strict")).forEach(problems::add);
    if (stillDown > 0) {
      problems.add(stillDown + " sockets never came back");
    }
    Batches.run(all.size(), 500, i -> all.get(i).close()).await();
    rest.close();
    log("reconnect: " + dropped + " dropped, back in " + recovery + " s");
    return header("reconnect").put("steps", new JsonArray().add(step)).put("problems", problems)
        .put("warmup", warmup.put("connects", warmupAttempts - sockets));
  }

  private List<String> scrapeAll(List<Integer> nodePorts) {
    List<String> texts = new ArrayList<>();
    for (int port : nodePorts) {
      texts.add(NodeMetrics.scrape(vertx, host, port).await());
    }
    return texts;
  }

  /** Why reconnect attempts failed (the first words of the error), over all sockets of the run. */
  private final java.util.Map<String, LongAdder> failures = new ConcurrentHashMap<>();

  private static String reason(Throwable e) {
    String text = String.valueOf(e.getMessage());
    text = text.replaceAll("[0-9]+", "N");
    return text.length() > 80 ? text.substring(0, 80) : text;
  }

  /** A conversation-profile socket that comes back by itself (resume from its last seq) and re-sends what was not acked. */
  private final class ResumingSocket {
    final int index;
    final String conversationId;
    final String token;
    final int port;
    final Deliveries deliveries;
    final java.util.Map<Long, Payload> unacked = new ConcurrentHashMap<>();
    volatile ChorusConversationClient client;
    volatile boolean closing;
    /** The connection this socket itself closed to come back (the warm-up): its close is not a drop. */
    volatile ChorusConversationClient leaving;
    volatile long droppedAt;
    volatile long backAt;
    volatile long attempts;
    volatile long lastSeq = -1;
    /** The last attempt's start, and when its upgrade was answered: where a reconnect's downtime went. */
    volatile long attemptAt;
    volatile long upgradedAt;

    ResumingSocket(int index, String conversationId, String token, int port, Deliveries deliveries) {
      this.index = index;
      this.conversationId = conversationId;
      this.token = token;
      this.port = port;
      this.deliveries = deliveries;
    }

    boolean isUp() {
      ChorusConversationClient c = client;
      return c != null && c.isOpen();
    }

    Future<Void> open() {
      attempts++;
      attemptAt = System.nanoTime();
      return ChorusConversationClient.connect(pool, host, port, token, conversationId, lastSeq, null, index, deliveries).map(c -> {
        client = c;
        upgradedAt = c.upgradedAtNanos();
        c.onAck(unacked::remove);
        c.closeHandler(() -> dropped(c));
        // "MESSAGE_ERROR: send it again with the same message_id" (docs/protocol/conversation.md)
        c.otherFrames(frame -> {
          if ("error".equals(frame.getString("type")) && "MESSAGE_ERROR".equals(frame.getString("code"))) {
            vertx.setTimer(200, t -> resendUnacked(c));
          }
        });
        if (droppedAt > 0) {
          backAt = System.nanoTime();
        }
        resendUnacked(c);
        return null;
      });
    }

    private void resendUnacked(ChorusConversationClient c) {
      if (!c.isOpen()) {
        return;
      }
      unacked.values().forEach(p -> {
        deliveries.tracker().resent(p.key());
        c.send(null, p);
      });
    }

    private void dropped(ChorusConversationClient c) {
      if (closing || c == leaving) {
        return;
      }
      lastSeq = c.lastSeq();
      if (droppedAt == 0) {
        droppedAt = System.nanoTime();
      }
      retry();
    }

    private void retry() {
      // a little jitter, as clients have, so the survivors are not hit in one instant
      vertx.setTimer(50 + (long) (Math.random() * 450), t -> open().onFailure(e -> {
        failures.computeIfAbsent(reason(e), r -> new LongAdder()).increment();
        retry();
      }));
    }

    /**
     * Leaves and comes back from where it was, as a client does after a network change: closes
     * its socket, then opens a new one through the load balancer with {@code last_seq}, which
     * replays what it missed and re-sends what was not acked.
     */
    Future<Void> leaveAndResume() {
      ChorusConversationClient c = client;
      leaving = c;
      return c.close().otherwiseEmpty().compose(closed -> {
        lastSeq = c.lastSeq();
        return open();
      });
    }

    void send(Payload payload, int receivers) {
      deliveries.tracker().sent(payload, receivers);
      unacked.put(payload.key(), payload);
      client.send(null, payload);
    }

    Future<Void> close() {
      closing = true;
      ChorusConversationClient c = client;
      return c == null ? Future.succeededFuture() : c.close().otherwiseEmpty();
    }
  }

  // ---------------------------------------------------------------- shared

  /** One message to send: by whom, to which room, what, and how many copies it should make. */
  record Send(RoomClient client, String room, Payload payload, int receivers) {}

  interface SendPlan {
    Send plan(long index);
  }

  /**
   * Sends on an open-loop schedule, then waits (up to {@code --drain-ms}) for every answer
   * and delivery. The payload's intended time is set here, from the schedule.
   */
  private void runOpenLoop(Tracker tracker, double rate, long durationMs, SendPlan plan) throws InterruptedException {
    OpenLoop.run(vertx, rate, durationMs, (i, intended) -> {
      Send send = plan.plan(i);
      Payload payload = new Payload(send.payload().sender(), send.payload().n(), intended);
      tracker.sent(payload, send.receivers());
      send.client().send(send.room(), payload);
    }).await();
    drain(tracker);
  }

  private JsonObject failuresJson() {
    JsonObject json = new JsonObject();
    failures.forEach((reason, n) -> json.put(reason, n.sum()));
    return json;
  }

  /** Exactly {@code total} sends at {@code rate} a second, open-loop; returns once the last is due. */
  private void runOpenLoop(long total, double rate, OpenLoop.Sender send) {
    OpenLoop.run(vertx, rate, Math.max(1, Math.round(total * 1000.0 / rate)), (i, intended) -> {
      if (i < total) {
        send.send(i, intended);
      }
    }).await();
  }

  private void drain(Tracker tracker) throws InterruptedException {
    long deadline = System.currentTimeMillis() + a.number("drain-ms", 10_000);
    while (System.currentTimeMillis() < deadline
        && (tracker.pendingCount() > 0 || tracker.counts.delivered.sum() < tracker.counts.expectedDeliveries.sum())) {
      Thread.sleep(50);
    }
  }

  /**
   * After a step's figures are taken, waits (at most {@code --settle-ms}) until its late
   * answers stop arriving, so the next step starts on a quiet server instead of its backlog.
   */
  private void settle(Tracker tracker) throws InterruptedException {
    long deadline = System.currentTimeMillis() + a.number("settle-ms", 30_000);
    long last = -1;
    while (System.currentTimeMillis() < deadline) {
      long now = tracker.counts.acked.sum() + tracker.counts.delivered.sum() + tracker.stale.sum();
      if (now == last) {
        return;
      }
      last = now;
      Thread.sleep(1000);
    }
  }

  /** A step that lost a tenth of its messages or took over 5 s at p99: bigger steps would only say the same, slower. */
  static boolean saturated(JsonObject step) {
    JsonObject c = step.getJsonObject("counts");
    boolean lossy = c.getLong("lost", 0L) * 10 > c.getLong("sent", 0L)
        || c.getLong("missing_deliveries", 0L) * 10 > c.getLong("expected_deliveries", 0L);
    return lossy || step.getJsonObject("ack_latency").getDouble("p99_ms", 0.0) > 5000;
  }

  private JsonObject step(String label, double rate, long durationMs, Tracker tracker, JsonArray problems) {
    // per second of the time the answers took, not of the offered duration: a backlog's tail counts
    double seconds = tracker.answeredSpanSeconds(durationMs / 1000.0);
    Counts c = tracker.counts;
    JsonObject step = new JsonObject().put("label", label).put("rate", rate).put("duration_ms", durationMs)
        .put("answered_span_ms", Math.round(seconds * 1000))
        .put("counts", c.toJson().put("stale_from_earlier_step", tracker.stale.sum())).put("errors", tracker.errorsJson())
        .put("acked_per_s", Latency.round(c.acked.sum() / seconds))
        .put("deliveries_per_s", Latency.round(c.delivered.sum() / seconds))
        .put("ack_latency", tracker.ackLatency.toJson())
        .put("delivery_latency", tracker.deliveryLatency.toJson());
    for (String p : c.problems(a.flag("strict"))) {
      problems.add(label + ": " + p);
    }
    return step;
  }
}
