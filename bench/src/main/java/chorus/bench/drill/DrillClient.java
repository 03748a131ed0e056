package chorus.bench.drill;

import chorus.bench.drill.Verdict.DbMessage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The ops drill's load client (scripts/ops-test): many users and conversations kept busy
 * through the load balancer while nodes are drained, restarted and killed; at the end it
 * checks, against PostgreSQL, that nothing was lost, duplicated or delivered out of order,
 * that every user message has exactly one reply, and that presence settled.
 *
 * <p>Topology: {@code --solo} conversations of one user with the AI bot (a
 * conversation-profile socket that sends, and a user-profile socket of the same user on the
 * same conversation), {@code --groups} conversations of {@code --group-size} members on
 * user-profile sockets (every member sends; the balancer spreads them over the nodes, so
 * their messages cross nodes), and one observer who shares a conversation with everybody and
 * watches presence. Every conversation has the AI bot, so every user message is answered.
 *
 * <p>The main thread only orchestrates; all sockets and their bookkeeping live on one
 * event-loop context.
 */
public final class DrillClient {
  private final DrillOptions options;
  private final Vertx vertx;
  private final Context context;
  private final DrillDb db;
  private final List<Peer> peers = new ArrayList<>();
  private final List<String> conversationIds = new ArrayList<>();
  private final List<String> userIds = new ArrayList<>();
  /** Who sends as which user in which conversation: "conversation/user" -> peer (for retries of failed replies). */
  private final Map<String, Peer> senders = new HashMap<>();
  private final Map<String, Integer> failedJobReasons = new TreeMap<>();
  private Peer observer;
  private volatile boolean stopRequested;
  private long loadStartedAt;
  private long loadStoppedAt;

  private DrillClient(DrillOptions options) {
    this.options = options;
    this.vertx = Vertx.vertx();
    this.context = vertx.getOrCreateContext();
    this.db = new DrillDb(vertx, options);
  }

  public static void main(String[] args) {
    quietLibraries();
    DrillOptions options;
    try {
      options = DrillOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println((e.getMessage().isEmpty() ? "" : "drill: " + e.getMessage() + "\n") + DrillOptions.USAGE);
      System.exit(2);
      return;
    }
    DrillClient drill = new DrillClient(options);
    int status;
    try {
      status = drill.run();
    } catch (Exception e) {
      System.out.println("drill: FAILED to run: " + e);
      e.printStackTrace(System.out);
      status = 2;
    }
    drill.vertx.close().toCompletionStage().toCompletableFuture().completeOnTimeout(null, 5, TimeUnit.SECONDS).join();
    System.exit(status);
  }

  private int run() throws Exception {
    installStopSignals();
    String secret = DevTokens.secret(options.jwtSecretFile);
    DevTokens tokens = call(() -> Future.succeededFuture(new DevTokens(vertx, secret, 4 * 3600)));
    setUp(tokens);
    log("%d sockets for %d users in %d conversations through %s:%d (run %s)", peers.size(), userIds.size(), conversationIds.size(),
        options.host, options.port, options.runId);

    call(() -> {
      long delay = 0;
      for (Peer peer : peers) {
        vertx.setTimer(1 + delay, t -> peer.start());
        delay += 20;
      }
      return Future.succeededFuture();
    });
    if (!waitUntil(30_000, () -> call(() -> Future.succeededFuture(peers.stream().allMatch(Peer::connected))))) {
      log("FAILED: not every socket connected within 30 s: %s", call(() -> Future.succeededFuture(
          peers.stream().filter(p -> !p.connected()).map(Peer::describe).toList())));
      return 2;
    }
    loadStartedAt = System.currentTimeMillis();
    log("load running: every socket connected");

    long lastProgress = System.currentTimeMillis();
    long lastSweep = 0;
    while (!stopRequested()) {
      Thread.sleep(250);
      long now = System.currentTimeMillis();
      if (now - lastSweep >= 3000) {
        lastSweep = now;
        retryFailedReplies();
      }
      if (now - lastProgress >= 10_000) {
        lastProgress = now;
        log("%s", progress());
      }
    }
    loadStoppedAt = System.currentTimeMillis();
    log("stop: no new messages; waiting for acks, replies and deliveries to settle (up to %d s)", options.settleTimeoutS);
    call(() -> {
      peers.forEach(Peer::stopSending);
      return Future.succeededFuture();
    });

    Verdict verdict = new Verdict();
    long settleStarted = System.currentTimeMillis();
    boolean settled = settle();
    long settleMs = System.currentTimeMillis() - settleStarted;
    log("%s after %d ms: %s", settled ? "settled" : "NOT settled", settleMs, progress());

    String presence = checkPresence(verdict);

    Map<String, List<DbMessage>> messages = await(db.messages(conversationIds));
    Map<String, Long> lastSeqs = await(db.lastSeqs(conversationIds));
    Map<String, Verdict.Job> jobs = await(db.jobs(conversationIds));
    List<Verdict.Sent> sent = new ArrayList<>();
    List<Verdict.View> views = new ArrayList<>();
    call(() -> {
      for (Peer peer : peers) {
        peer.sent.forEach(o -> sent.add(new Verdict.Sent(o.clientId, o.conversationId, peer.name, o.ackedId, o.ackedSeq)));
        peer.receptions.forEach((conversationId, reception) -> views.add(new Verdict.View(peer.name, conversationId, reception.receipts())));
      }
      return Future.succeededFuture();
    });
    verdict.checkAcknowledged(sent, messages);
    verdict.checkSeqs(messages, lastSeqs);
    verdict.checkDeliveries(views, messages);
    verdict.checkReplies(messages, new HashSet<>(conversationIds), jobs);
    await(db.close());

    printSummary(verdict, messages, sent, settled, settleMs, presence);
    return verdict.passed() && settled ? 0 : 1;
  }

  // ---- set-up: users, the bot, conversations, members; then the sockets ----

  private void setUp(DevTokens tokens) throws Exception {
    String prefix = "drill-" + options.runId + "-";
    String observerId = prefix + "observer";
    Map<String, String> token = new LinkedHashMap<>();
    token.put(observerId, tokens.token(observerId, false));
    List<String> soloUsers = new ArrayList<>();
    for (int i = 1; i <= options.solo; i++) {
      soloUsers.add(prefix + "s" + i);
    }
    List<List<String>> groupUsers = new ArrayList<>();
    for (int g = 1; g <= options.groups; g++) {
      List<String> members = new ArrayList<>();
      for (int m = 1; m <= options.groupSize; m++) {
        members.add(prefix + "g" + g + "m" + m);
      }
      groupUsers.add(members);
    }
    soloUsers.forEach(u -> token.put(u, tokens.token(u, false)));
    groupUsers.forEach(members -> members.forEach(u -> token.put(u, tokens.token(u, false))));
    userIds.addAll(soloUsers);
    groupUsers.forEach(userIds::addAll);

    ChorusRest rest = call(() -> Future.succeededFuture(new ChorusRest(vertx, options.host, options.port)));
    String botId = call(() -> rest.createBot(token.get(observerId), "Drill bot", "You are the ops drill's patient bot."));
    List<String> soloConversations = new ArrayList<>();
    for (String user : soloUsers) {
      soloConversations.add(call(() -> rest.createConversation(token.get(user), botId, "drill solo")));
    }
    List<String> groupConversations = new ArrayList<>();
    for (List<String> members : groupUsers) {
      String conversationId = call(() -> rest.createConversation(token.get(members.get(0)), botId, "drill group"));
      for (String member : members.subList(1, members.size())) {
        call(() -> rest.addMember(token.get(members.get(0)), conversationId, member));
      }
      groupConversations.add(conversationId);
    }
    // the observer shares one (silent) conversation with everybody, so presence shows it all of them
    String roster = call(() -> rest.createConversation(token.get(observerId), botId, "drill roster"));
    for (String user : userIds) {
      call(() -> rest.addMember(token.get(observerId), roster, user));
    }
    conversationIds.addAll(soloConversations);
    conversationIds.addAll(groupConversations);

    WebSocketClient client = call(() -> Future.succeededFuture(vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxConnections(1000).setMaxMessageSize(1 << 20).setMaxFrameSize(1 << 16))));
    for (int i = 0; i < soloUsers.size(); i++) {
      String user = soloUsers.get(i);
      String conversationId = soloConversations.get(i);
      Peer sender = new Peer(vertx, client, options, "s" + (i + 1) + "-conv", user, token.get(user), Peer.Profile.CONVERSATION,
          List.of(conversationId), List.of(conversationId));
      peers.add(sender);
      senders.put(conversationId + "/" + user, sender);
      peers.add(new Peer(vertx, client, options, "s" + (i + 1) + "-user", user, token.get(user), Peer.Profile.USER,
          List.of(conversationId), List.of()));
    }
    for (int g = 0; g < groupUsers.size(); g++) {
      String conversationId = groupConversations.get(g);
      List<String> members = groupUsers.get(g);
      for (int m = 0; m < members.size(); m++) {
        Peer peer = new Peer(vertx, client, options, "g" + (g + 1) + "m" + (m + 1), members.get(m), token.get(members.get(m)),
            Peer.Profile.USER, List.of(conversationId), List.of(conversationId));
        peers.add(peer);
        senders.put(conversationId + "/" + members.get(m), peer);
      }
    }
    observer = new Peer(vertx, client, options, "observer", observerId, token.get(observerId), Peer.Profile.USER, List.of(), List.of());
    peers.add(observer);
  }

  // ---- the run ----

  private void installStopSignals() {
    for (String name : List.of("TERM", "INT")) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), s -> stopRequested = true);
      } catch (IllegalArgumentException e) {
        // not on this platform: the stop file and --duration-s still work
      }
    }
  }

  private boolean stopRequested() {
    if (stopRequested) {
      return true;
    }
    if (options.stopFile != null && Files.exists(options.stopFile)) {
      return true;
    }
    return options.durationS > 0 && System.currentTimeMillis() - loadStartedAt >= options.durationS * 1000;
  }

  /**
   * A failed reply job (AI_BUSY, AI_TOO_MANY_GENERATIONS... while a node was going away) is
   * documented as "retry when you like"; its sender does, as a user would. The peers also
   * retry when they get the error frame; this catches the ones whose frame came while they
   * were reconnecting. The reasons are counted for the summary.
   */
  private void retryFailedReplies() throws Exception {
    List<DrillDb.FailedJob> failed = await(db.failedJobs(conversationIds));
    if (failed.isEmpty()) {
      return;
    }
    call(() -> {
      for (DrillDb.FailedJob job : failed) {
        failedJobReasons.merge(String.valueOf(job.lastError()), 1, Integer::sum);
        Peer sender = senders.get(job.conversationId() + "/" + job.senderId());
        if (sender != null) {
          sender.retryReply(job.conversationId(), job.userMessageId());
        }
      }
      return Future.succeededFuture();
    });
  }

  /** Until every message is acked, every user message answered, and every socket holds its conversations up to the database's last seq. */
  private boolean settle() throws Exception {
    long deadline = System.currentTimeMillis() + options.settleTimeoutS * 1000;
    Map<String, Long> previous = null;
    long lastSweep = 0;
    while (System.currentTimeMillis() < deadline) {
      Thread.sleep(500);
      if (System.currentTimeMillis() - lastSweep >= 2000) {
        lastSweep = System.currentTimeMillis();
        retryFailedReplies();
      }
      Map<String, Long> lastSeqs = await(db.lastSeqs(conversationIds));
      Map<String, Integer> unanswered = await(db.unanswered(conversationIds));
      boolean quiet = call(() -> Future.succeededFuture(
          peers.stream().allMatch(p -> p.unackedCount() == 0 && p.caughtUp(lastSeqs))));
      if (quiet && unanswered.isEmpty() && lastSeqs.equals(previous)) {
        return true;
      }
      previous = lastSeqs;
    }
    Map<String, Integer> unanswered = await(db.unanswered(conversationIds));
    Map<String, Long> lastSeqs = await(db.lastSeqs(conversationIds));
    log("not settled: unanswered user messages by job status %s; peers behind or with unacked messages: %s", unanswered,
        call(() -> Future.succeededFuture(peers.stream().filter(p -> p.unackedCount() > 0 || !p.caughtUp(lastSeqs))
            .map(p -> p.name + (p.connected() ? "" : " (not connected)") + (p.unackedCount() > 0 ? " unacked=" + p.unackedCount() : ""))
            .toList())));
    return false;
  }

  /**
   * Presence, as the user profile shows it to the observer (get_online_status): with every
   * socket open, every drill user online; once they all closed, nobody. Returns a one-line
   * account for the summary; mismatches go into the verdict.
   */
  private String checkPresence(Verdict verdict) throws Exception {
    Set<String> everybody = new HashSet<>(userIds);
    long timeout = options.presenceTimeoutS * 1000;
    Set<String>[] seen = onlineSnapshotHolder();
    long started = System.currentTimeMillis();
    boolean allOnline = waitUntil(timeout, () -> {
      seen[0] = online();
      return everybody.equals(seen[0]);
    });
    long allOnlineMs = System.currentTimeMillis() - started;
    if (!allOnline) {
      Set<String> missing = new HashSet<>(everybody);
      if (seen[0] != null) {
        missing.removeAll(seen[0]);
      }
      String since = call(() -> Future.succeededFuture(peers.stream().filter(p -> missing.contains(p.userId))
          .map(p -> p.name + (p.connected() ? " connected for " + (System.currentTimeMillis() - p.upSince) / 1000 + " s" : " NOT connected"))
          .collect(Collectors.joining(", "))));
      verdict.add(Verdict.Kind.PRESENCE, "with every socket connected, not shown online: " + missing
          + (seen[0] == null ? " (the observer got no answer)" : " (their sockets: " + since + ")"));
    }

    call(() -> Future.all(peers.stream().filter(p -> p != observer).map(Peer::close).toList()).mapEmpty());
    long closedAt = System.currentTimeMillis();
    boolean nobodyOnline = waitUntil(timeout, () -> {
      seen[0] = online();
      return seen[0] != null && seen[0].isEmpty();
    });
    long settledMs = System.currentTimeMillis() - closedAt;
    if (!nobodyOnline) {
      verdict.add(Verdict.Kind.PRESENCE, "shown online " + (timeout / 1000) + " s after every socket closed: "
          + (seen[0] == null ? "(the observer got no answer)" : seen[0]));
    }
    call(() -> observer.close());
    return String.format("all %d users online after %s; nobody online %s after their sockets closed", everybody.size(),
        allOnline ? allOnlineMs + " ms" : "NEVER", nobodyOnline ? settledMs + " ms" : "NEVER (" + seen[0] + ")");
  }

  @SuppressWarnings("unchecked")
  private static Set<String>[] onlineSnapshotHolder() {
    return new Set[1];
  }

  /** The drill users the observer is shown online now, or null when it cannot ask (reconnecting). */
  private Set<String> online() {
    try {
      JsonObject answer = call(() -> observer.onlineStatus(userIds));
      return answer.getJsonArray("users").stream().map(Object::toString).filter(userIds::contains).collect(Collectors.toSet());
    } catch (Exception e) {
      return null;
    }
  }

  // ---- reporting ----

  private String progress() throws Exception {
    return call(() -> {
      long sent = peers.stream().mapToLong(p -> p.sent.size()).sum();
      long acked = peers.stream().mapToLong(p -> p.sent.size() - p.unackedCount()).sum();
      long delivered = peers.stream().flatMap(p -> p.receptions.values().stream()).mapToLong(Reception::delivered).sum();
      long connected = peers.stream().filter(Peer::connected).count();
      long reconnects = peers.stream().mapToLong(p -> p.reconnects).sum();
      long longest = peers.stream().mapToLong(Peer::longestOfflineNow).max().orElse(0);
      return Future.succeededFuture(String.format("sent %d, acked %d, delivered %d, connected %d/%d, reconnects %d, longest offline %d ms",
          sent, acked, delivered, connected, peers.size(), reconnects, longest));
    });
  }

  private void printSummary(Verdict verdict, Map<String, List<DbMessage>> messages, List<Verdict.Sent> sent, boolean settled,
      long settleMs, String presence) throws Exception {
    long userMessages = messages.values().stream().flatMap(List::stream).filter(DbMessage::isUser).count();
    long replies = messages.values().stream().flatMap(List::stream).filter(m -> "assistant".equals(m.role())).count();
    long acked = sent.stream().filter(s -> s.ackedId() != null).count();
    Map<String, Integer> closeCodes = new TreeMap<>();
    Map<String, Integer> errorCodes = new TreeMap<>();
    long[] totals = new long[6];
    Peer[] longest = new Peer[1];
    call(() -> {
      for (Peer p : peers) {
        p.closeCodes.forEach((k, v) -> closeCodes.merge(k, v, Integer::sum));
        p.errorCodes.forEach((k, v) -> errorCodes.merge(k, v, Integer::sum));
        totals[0] += p.receptions.values().stream().mapToLong(Reception::delivered).sum();
        totals[1] += p.reconnects;
        totals[2] += p.resends;
        totals[3] += p.replyRetries;
        totals[4] += p.receptions.values().stream().mapToLong(Reception::echoes).sum();
        totals[5] += p.deferredTicks;
        if (longest[0] == null || p.longestOfflineMs > longest[0].longestOfflineMs) {
          longest[0] = p;
        }
      }
      return Future.succeededFuture();
    });
    StringBuilder out = new StringBuilder();
    out.append("\n==== drill summary (run ").append(options.runId).append(", load ").append((loadStoppedAt - loadStartedAt) / 1000)
        .append(" s, ").append(peers.size()).append(" sockets, ").append(conversationIds.size()).append(" conversations) ====\n");
    row(out, "messages sent by clients", sent.size());
    row(out, "  acknowledged", acked);
    row(out, "  sent again (same message_id)", totals[2]);
    row(out, "  echoes of resends (not deliveries)", totals[4]);
    row(out, "  send ticks held (replies due)", totals[5]);
    row(out, "user messages in the database", userMessages);
    row(out, "assistant replies in the database", replies);
    row(out, "deliveries to clients", totals[0]);
    row(out, "reconnects", totals[1]);
    row(out, "reply retries sent", totals[3]);
    out.append(String.format("  %-40s %s%n", "longest without a connection", longest[0] == null ? "-"
        : longest[0].longestOfflineMs + " ms (" + longest[0].name + ")"));
    out.append(String.format("  %-40s %s%n", "slowest first frame after opening", call(() -> Future.succeededFuture(peers.stream()
        .mapToLong(p -> p.slowestFirstFrameMs).max().orElse(0))) + " ms"));
    out.append(String.format("  %-40s %s%n", "close codes seen", closeCodes));
    out.append(String.format("  %-40s %s%n", "error frames seen", errorCodes));
    out.append(String.format("  %-40s %s%n", "a connect failure (last seen)", call(() -> Future.succeededFuture(peers.stream()
        .map(p -> p.lastConnectFailure).filter(java.util.Objects::nonNull).findFirst().orElse("-")))));
    out.append(String.format("  %-40s %s%n", "failed reply jobs seen (reason: sweeps)", failedJobReasons));
    out.append(String.format("  %-40s %s%n", "settled", settled ? "yes, " + settleMs + " ms after stop" : "NO"));
    out.append(String.format("  %-40s %s%n", "presence", presence));
    out.append("---- checks ----\n");
    Map<Verdict.Kind, Integer> counts = verdict.counts();
    for (Verdict.Kind kind : Verdict.Kind.values()) {
      int n = counts.getOrDefault(kind, 0);
      out.append(String.format("  %-16s %-72s %s%n", kind, kind.meaning, n == 0 ? "ok" : "FAILED x" + n));
    }
    Map<Verdict.Kind, Integer> shown = new HashMap<>();
    for (Verdict.Problem problem : verdict.problems()) {
      if (shown.merge(problem.kind(), 1, Integer::sum) <= 10) {
        out.append("  ! ").append(problem.kind()).append(": ").append(problem.detail()).append('\n');
      }
    }
    boolean passed = verdict.passed() && settled;
    out.append(passed ? "drill: PASSED: nothing lost, duplicated or out of order; every message answered once; presence settled\n"
        : "drill: FAILED: " + (settled ? "" : "did not settle; ") + verdict.problems().size() + " problem(s), see above\n");
    System.out.print(out);
    System.out.flush();
  }

  private static void row(StringBuilder out, String label, long value) {
    out.append(String.format("  %-40s %d%n", label, value));
  }

  // ---- plumbing between the main thread and the drill's context ----

  private <T> T call(Callable<Future<T>> work) throws Exception {
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> {
      try {
        work.call().onComplete(result);
      } catch (Exception e) {
        result.fail(e);
      }
    });
    return await(result.future());
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static boolean waitUntil(long timeoutMs, Check check) throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (true) {
      if (check.holds()) {
        return true;
      }
      if (System.currentTimeMillis() >= deadline) {
        return false;
      }
      Thread.sleep(250);
    }
  }

  /** Vert.x and Netty talk at DEBUG without a logback.xml; the drill's output is its own lines. */
  private static void quietLibraries() {
    if (System.getProperty("logback.configurationFile") == null
        && org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.ERROR);
    }
  }

  private static void log(String format, Object... args) {
    System.out.println(Instant.now() + " drill: " + String.format(format, args));
    System.out.flush();
  }
}
