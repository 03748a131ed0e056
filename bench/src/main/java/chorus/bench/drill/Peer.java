package chorus.bench.drill;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One device of one user: a WebSocket through the load balancer that never gives up.
 * Whenever it is closed (any code, 1012 included) or cannot connect, it connects again
 * with exponential backoff and full jitter, and resumes every conversation from the
 * highest seq it holds. It sends at a steady pace with a client {@code message_id}, and
 * after a reconnect (or when no ack came) sends the unacknowledged ones again with the same
 * id. It answers an AI error about its own message with {@code retry}, as the protocol
 * documents. Everything it sees is kept for the verdict. All of a peer's work runs on the
 * drill's one event-loop context, so its state needs no locks.
 */
final class Peer {
  enum Profile { CONVERSATION, USER }

  /** Longer than the nodes' event-bus request timeout (10 s), which a socket opened just after a node died may wait out. */
  static final long FIRST_FRAME_TIMEOUT_MS = 15_000;

  /** A message this peer sent; acked once the stream delivered it (or the echo of a resend came). */
  static final class Outgoing {
    final String clientId;
    final String conversationId;
    final String content;
    long lastSentAt;
    int sentOnConnection;
    int sends;
    String ackedId;
    long ackedSeq;

    Outgoing(String clientId, String conversationId, String content) {
      this.clientId = clientId;
      this.conversationId = conversationId;
      this.content = content;
    }
  }

  final String name;
  final String userId;
  final Profile profile;
  /** The conversations this peer follows (the conversation profile: exactly one). */
  final List<String> conversations;
  final List<String> sendsTo;
  final Map<String, Reception> receptions = new LinkedHashMap<>();
  final List<Outgoing> sent = new ArrayList<>();
  final Map<String, Integer> closeCodes = new TreeMap<>();
  final Map<String, Integer> errorCodes = new TreeMap<>();
  long resends;
  long replyRetries;
  long deferredTicks;
  int reconnects;
  long longestOfflineMs;
  long totalOfflineMs;

  private final Vertx vertx;
  private final WebSocketClient client;
  private final DrillOptions options;
  private final String token;
  private final LinkedHashMap<String, Outgoing> unacked = new LinkedHashMap<>();
  private final Map<String, Outgoing> byServerId = new HashMap<>();
  private final Map<String, Outgoing> byClientId = new HashMap<>();
  /** Per conversation: the last_seq the server reported when this connection became ready for it. */
  private final Map<String, Long> readySeq = new HashMap<>();
  private final Map<String, Long> readyAt = new HashMap<>();
  private final Deque<Promise<JsonObject>> onlineQueries = new ArrayDeque<>();
  private WebSocket ws;
  private boolean awaitingFirstOnlineUsers;
  private int connection;
  private int failuresInARow;
  private long offlineSince = -1;
  private boolean everUp;
  private boolean stopSending;
  private boolean closing;
  private long sendCounter;
  private long resendTimer = -1;
  String lastConnectFailure;
  /** The longest a socket of this peer waited, once open, for its first frame (connection_ack / online_users). */
  long slowestFirstFrameMs;
  private long openedAt;
  /** When the current connection became usable (for evidence: "connected for 40 s, shown offline"). */
  long upSince;

  Peer(Vertx vertx, WebSocketClient client, DrillOptions options, String name, String userId, String token, Profile profile,
      List<String> conversations, List<String> sendsTo) {
    this.vertx = vertx;
    this.client = client;
    this.options = options;
    this.name = name;
    this.userId = userId;
    this.token = token;
    this.profile = profile;
    this.conversations = List.copyOf(conversations);
    this.sendsTo = List.copyOf(sendsTo);
    conversations.forEach(c -> receptions.put(c, new Reception()));
  }

  void start() {
    connect();
    resendTimer = vertx.setPeriodic(500, t -> resendUnacknowledged());
    sendsTo.forEach(this::scheduleSend);
  }

  // ---- connection lifecycle ----

  private void connect() {
    if (closing) {
      return;
    }
    WebSocketConnectOptions connect = new WebSocketConnectOptions().setHost(options.host).setPort(options.port).setURI(uri())
        .setConnectTimeout(5000).setIdleTimeout(10_000); // ms; the idle timeout bounds the handshake
    client.connect(connect).onComplete(ar -> {
      if (ar.failed()) {
        closeCodes.merge("connect failed", 1, Integer::sum);
        lastConnectFailure = ar.cause().toString();
        down();
        return;
      }
      WebSocket socket = ar.result();
      if (closing) {
        socket.close((short) 1000, "drill over");
        return;
      }
      ws = socket;
      openedAt = System.currentTimeMillis();
      connection++;
      readySeq.clear();
      readyAt.clear();
      receptions.values().forEach(Reception::newConnection);
      awaitingFirstOnlineUsers = profile == Profile.USER;
      socket.textMessageHandler(text -> onFrame(socket, text));
      socket.exceptionHandler(e -> { /* the close handler follows and reconnects */ });
      int thisConnection = connection;
      vertx.setTimer(FIRST_FRAME_TIMEOUT_MS, t -> {
        if (ws == socket && connection == thisConnection && !connected()) {
          // open but silent: the protocol promises connection_ack / online_users first; go elsewhere
          errorCodes.merge("(client) " + profile.name().toLowerCase() + " socket silent " + FIRST_FRAME_TIMEOUT_MS + " ms after opening", 1, Integer::sum);
          socket.close((short) 4000, "no first frame");
        }
      });
      socket.closeHandler(v -> {
        if (ws == socket) {
          Short code = socket.closeStatusCode();
          closeCodes.merge(code == null ? "no close frame" : code.toString(), 1, Integer::sum);
          ws = null;
          down();
        }
      });
    });
  }

  private String uri() {
    if (profile == Profile.CONVERSATION) {
      String conversationId = conversations.get(0);
      return "/api/v1/conversations/" + conversationId + "/ws?token=" + token + "&last_seq=" + receptions.get(conversationId).resumeFrom();
    }
    return "/ws/auth?token=" + token;
  }

  /** The socket is usable: a disconnection interval (if any) ends here. */
  private void up() {
    failuresInARow = 0;
    upSince = System.currentTimeMillis();
    slowestFirstFrameMs = Math.max(slowestFirstFrameMs, System.currentTimeMillis() - openedAt);
    if (offlineSince >= 0) {
      long offline = System.currentTimeMillis() - offlineSince;
      longestOfflineMs = Math.max(longestOfflineMs, offline);
      totalOfflineMs += offline;
      reconnects++;
      offlineSince = -1;
    }
    everUp = true;
  }

  private void down() {
    readySeq.clear();
    if (offlineSince < 0 && everUp && !closing) {
      offlineSince = System.currentTimeMillis();
    }
    onlineQueries.forEach(p -> p.tryFail("socket closed"));
    onlineQueries.clear();
    if (closing) {
      return;
    }
    long ceiling = Math.min(options.backoffMaxMs, options.backoffBaseMs << Math.min(failuresInARow, 10));
    failuresInARow++;
    long delay = options.backoffBaseMs + ThreadLocalRandom.current().nextLong(ceiling + 1);
    vertx.setTimer(delay, t -> connect());
  }

  // ---- frames from the server ----

  private void onFrame(WebSocket socket, String text) {
    if (socket != ws) {
      return;
    }
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (RuntimeException e) {
      errorCodes.merge("unparsable frame", 1, Integer::sum);
      return;
    }
    String type = frame.getString("type", "");
    switch (type) {
      case "connection_ack" -> {
        up();
        ready(conversations.get(0), frame.getLong("last_seq", 0L));
      }
      case "message_received", "assistant_message" -> message(conversations.get(0), frame.getJsonObject("message"), type.equals("assistant_message"));
      case "new_message" -> {
        JsonObject message = frame.getJsonObject("message");
        message(frame.getString("conversation_id"), message, message.getBoolean("is_ai", false));
      }
      case "online_users" -> onlineUsers(frame);
      case "conversation_joined" -> ready(frame.getString("conversation_id"), frame.getLong("last_seq", 0L));
      case "error" -> error(frame);
      default -> { /* presence, typing, pong, deltas: not what the drill checks */ }
    }
  }

  private void onlineUsers(JsonObject frame) {
    if (awaitingFirstOnlineUsers) {
      // the user profile's first frame: the socket is up; join (or re-join) every conversation from what it holds
      awaitingFirstOnlineUsers = false;
      up();
      conversations.forEach(this::join);
      return;
    }
    Promise<JsonObject> query = onlineQueries.poll();
    if (query != null) {
      query.tryComplete(frame);
    }
  }

  private void join(String conversationId) {
    if (ws != null) {
      ws.writeTextMessage(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId)
          .put("last_seq", receptions.get(conversationId).resumeFrom()).encode());
    }
  }

  private void ready(String conversationId, long lastSeq) {
    readySeq.put(conversationId, lastSeq);
    readyAt.put(conversationId, System.currentTimeMillis());
  }

  private void message(String conversationId, JsonObject message, boolean assistant) {
    Reception reception = receptions.get(conversationId);
    if (reception == null || message == null) {
      errorCodes.merge("message of a conversation not followed", 1, Integer::sum);
      return;
    }
    String clientId = message.getString("message_id");
    Outgoing mine = clientId == null || assistant ? null : byClientId.get(clientId);
    reception.receive(message.getLong("seq"), message.getString("id"), mine != null ? clientId : null, assistant);
    if (mine != null && mine.ackedId == null) {
      mine.ackedId = message.getString("id");
      mine.ackedSeq = message.getLong("seq");
      unacked.remove(clientId);
      byServerId.put(mine.ackedId, mine);
    }
  }

  private void error(JsonObject frame) {
    String code = frame.getString("code", "?");
    errorCodes.merge(code, 1, Integer::sum);
    String replyTo = frame.getString("reply_to");
    if (code.startsWith("AI_") && replyTo != null && byServerId.containsKey(replyTo)) {
      // the documented answer to a reply that will not come for now: ask again, a little later
      Outgoing o = byServerId.get(replyTo);
      vertx.setTimer(1000 + ThreadLocalRandom.current().nextLong(2000), t -> retryReply(o.conversationId, replyTo));
    } else if ("UNAVAILABLE".equals(code) && profile == Profile.USER && frame.getString("conversation_id") != null
        && !readySeq.containsKey(frame.getString("conversation_id"))) {
      String conversationId = frame.getString("conversation_id");
      vertx.setTimer(500, t -> join(conversationId));
    }
  }

  // ---- sending ----

  private void scheduleSend(String conversationId) {
    long jitter = options.intervalMs / 4;
    long delay = options.intervalMs - jitter + ThreadLocalRandom.current().nextLong(2 * jitter + 1);
    vertx.setTimer(delay, t -> {
      if (stopSending) {
        return;
      }
      if (canSendNew(conversationId)) {
        sendNew(conversationId);
      } else {
        deferredTicks++;
      }
      scheduleSend(conversationId);
    });
  }

  private boolean readyFor(String conversationId) {
    Long seq = readySeq.get(conversationId);
    if (ws == null || seq == null) {
      return false;
    }
    // resend only once the resume replay is in, so the echo of a resend never overtakes it
    return receptions.get(conversationId).resumeFrom() >= seq || System.currentTimeMillis() - readyAt.get(conversationId) > 2000;
  }

  private boolean canSendNew(String conversationId) {
    long waiting = unacked.values().stream().filter(o -> o.conversationId.equals(conversationId)).count();
    return readyFor(conversationId) && waiting == 0 && receptions.get(conversationId).awaitedReplies() < options.maxAwaitedReplies;
  }

  private void sendNew(String conversationId) {
    long n = ++sendCounter;
    String clientId = options.runId + "-" + name + "-" + n;
    Outgoing o = new Outgoing(clientId, conversationId, "drill message " + n + " from " + name + " (" + clientId + ")");
    unacked.put(clientId, o);
    byClientId.put(clientId, o);
    sent.add(o);
    transmit(o);
  }

  private void transmit(Outgoing o) {
    JsonObject frame = profile == Profile.CONVERSATION
        ? new JsonObject().put("type", "user_message")
        : new JsonObject().put("type", "send_message").put("conversation_id", o.conversationId);
    ws.writeTextMessage(frame.put("content", o.content).put("message_id", o.clientId).encode());
    o.lastSentAt = System.currentTimeMillis();
    o.sentOnConnection = connection;
    o.sends++;
  }

  /** Unacked messages go again, same message_id: at once on a new connection, else after resendAfterMs. */
  private void resendUnacknowledged() {
    long now = System.currentTimeMillis();
    for (Outgoing o : List.copyOf(unacked.values())) {
      if (readyFor(o.conversationId) && (o.sentOnConnection != connection || now - o.lastSentAt > options.resendAfterMs)) {
        receptions.get(o.conversationId).allowEcho(o.clientId);
        transmit(o);
        resends++;
      }
    }
  }

  /** Asks again for the reply to one of this peer's messages (after an AI error, or when the drill sees its job failed). */
  boolean retryReply(String conversationId, String userMessageId) {
    if (ws == null || !readySeq.containsKey(conversationId)) {
      return false;
    }
    JsonObject frame = new JsonObject().put("type", "retry").put("message_id", userMessageId);
    if (profile == Profile.USER) {
      frame.put("conversation_id", conversationId);
    }
    ws.writeTextMessage(frame.encode());
    replyRetries++;
    return true;
  }

  // ---- the end ----

  void stopSending() {
    stopSending = true;
  }

  int unackedCount() {
    return unacked.size();
  }

  boolean connected() {
    return ws != null && (profile == Profile.CONVERSATION ? !readySeq.isEmpty() : !awaitingFirstOnlineUsers);
  }

  /** Connected, every conversation joined, and holding each one up to the database's last seq. */
  boolean caughtUp(Map<String, Long> lastSeqs) {
    if (!connected()) {
      return false;
    }
    for (String conversationId : conversations) {
      if (!readySeq.containsKey(conversationId) || receptions.get(conversationId).resumeFrom() < lastSeqs.getOrDefault(conversationId, 0L)) {
        return false;
      }
    }
    return true;
  }

  /** The user profile's get_online_status, answered by its online_users frame. */
  Future<JsonObject> onlineStatus(List<String> userIds) {
    if (ws == null || awaitingFirstOnlineUsers) {
      return Future.failedFuture("not connected");
    }
    Promise<JsonObject> answer = Promise.promise();
    onlineQueries.add(answer);
    ws.writeTextMessage(new JsonObject().put("type", "get_online_status").put("user_ids", new JsonArray(userIds)).encode());
    vertx.setTimer(5000, t -> answer.tryFail("no online_users within 5 s"));
    return answer.future();
  }

  /** Closes normally and for good (no reconnect). */
  Future<Void> close() {
    closing = true;
    stopSending = true;
    if (resendTimer >= 0) {
      vertx.cancelTimer(resendTimer);
    }
    if (offlineSince >= 0) {
      // still down at the end: that interval counts until now
      long offline = System.currentTimeMillis() - offlineSince;
      longestOfflineMs = Math.max(longestOfflineMs, offline);
      totalOfflineMs += offline;
      offlineSince = -1;
    }
    WebSocket socket = ws;
    ws = null;
    return socket == null ? Future.succeededFuture() : socket.close((short) 1000, "drill over").otherwiseEmpty();
  }

  /** For a failure message: where this peer stands. */
  String describe() {
    return name + "(" + (ws == null ? "no socket" : awaitingFirstOnlineUsers ? "socket open, no online_users yet" : "ready for " + readySeq.keySet())
        + ", connections " + connection + ", closes " + closeCodes + ", errors " + errorCodes
        + (lastConnectFailure != null ? ", last connect failure " + lastConnectFailure : "") + ")";
  }

  /** The longest this peer has been without a connection so far (an interval still open counts until now). */
  long longestOfflineNow() {
    return offlineSince < 0 ? longestOfflineMs : Math.max(longestOfflineMs, System.currentTimeMillis() - offlineSince);
  }
}
