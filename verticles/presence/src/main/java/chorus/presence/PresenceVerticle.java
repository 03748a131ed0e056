package chorus.presence;

import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.Admission;
import chorus.shared.bus.CoMembers;
import chorus.shared.bus.CoMembersRequest;
import chorus.shared.bus.PayloadCodecs;
import chorus.shared.bus.PresenceChanged;
import chorus.shared.bus.RecordLastSeen;
import chorus.shared.bus.SetStatus;
import chorus.shared.bus.StatusSet;
import chorus.shared.bus.Ping;
import chorus.shared.bus.PresenceQuery;
import chorus.shared.bus.PresenceSnapshot;
import chorus.shared.bus.SocketClosed;
import chorus.shared.bus.RateLimitTake;
import chorus.shared.bus.ServedAddresses;
import chorus.shared.bus.SocketOpened;
import chorus.shared.bus.ViewerJoined;
import chorus.shared.bus.ViewerLeft;
import chorus.shared.bus.Viewers;
import chorus.shared.bus.ViewersQuery;
import chorus.shared.domain.ActivityStatus;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The presence role: which users have at least one socket open, and on which Chorus nodes,
 * cluster-wide. Gateways report sockets opening and closing (request/reply, acked once the
 * change is stored); anyone may ask. The state lives in a Hazelcast map, not in this
 * verticle, so any presence verticle answers for the whole cluster and a clean stop loses
 * nothing. When Hazelcast drops a member (a node that died), every surviving presence
 * verticle forgets that node's sockets, so no ghost stays online.
 */
public final class PresenceVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(PresenceVerticle.class);

  /** The Hazelcast map: user id -> {@link UserSockets}. */
  public static final String MAP_NAME = "chorus.presence.sockets";
  /** Conversation id -> {@link ConversationViewers}. */
  public static final String VIEWERS_MAP_NAME = "chorus.presence.viewers";
  /** User id -> {@link TokenBucket}; entries expire when idle (config/cluster.xml). */
  public static final String RATE_MAP_NAME = "chorus.presence.rate";
  /** Member attribute holding the Chorus node id (set by the launcher on every member). */
  public static final String NODE_ATTRIBUTE = "chorus.node";
  /** A query is one bulk map operation; this bounds its size. */
  static final int MAX_QUERY_USERS = 1000;

  private final HazelcastInstance hazelcast;
  private IMap<String, UserSockets> sockets;
  private IMap<String, ConversationViewers> viewers;
  private IMap<String, TokenBucket> rateLimits;
  private Context context;
  private UUID membershipListener;
  /** Its addresses: unregistered first when it stops, then the requests in flight are answered. */
  private ServedAddresses served;
  private long stopWaitMs;

  public PresenceVerticle(HazelcastInstance hazelcast) {
    this.hazelcast = hazelcast;
  }

  /**
   * The serializer of what this role stores and sends through Hazelcast. Every member of the
   * cluster needs it, whatever its roles: any member may own a partition of these maps.
   */
  public static SerializerConfig serializerConfig() {
    return PresenceWireSerializer.config();
  }

  @Override
  public Future<?> start() {
    PayloadCodecs.install(vertx);
    context = vertx.getOrCreateContext();
    served = new ServedAddresses(vertx);
    stopWaitMs = config().getJsonObject("limits", new io.vertx.core.json.JsonObject()).getLong("requestTimeoutMs", 10_000L);
    // getMap and addMembershipListener may talk to the cluster: off the event loop
    return vertx.executeBlocking(() -> {
      sockets = hazelcast.getMap(MAP_NAME);
      viewers = hazelcast.getMap(VIEWERS_MAP_NAME);
      rateLimits = hazelcast.getMap(RATE_MAP_NAME);
      membershipListener = hazelcast.getCluster().addMembershipListener(new DepartedNodes());
      return null;
    }).compose(v -> Future.all(List.of(
        serve(Addresses.PRESENCE_SOCKET_OPENED, SocketOpened.class, this::opened),
        serve(Addresses.PRESENCE_SOCKET_CLOSED, SocketClosed.class, this::closed),
        serve(Addresses.PRESENCE_QUERY, PresenceQuery.class, this::query),
        serve(Addresses.PRESENCE_VIEWER_JOINED, ViewerJoined.class, this::viewerJoined),
        serve(Addresses.PRESENCE_VIEWER_LEFT, ViewerLeft.class, this::viewerLeft),
        serve(Addresses.PRESENCE_VIEWERS, ViewersQuery.class, this::viewersOf),
        serve(Addresses.RATE_LIMIT_TAKE, RateLimitTake.class, this::takeToken),
        serve(Addresses.PRESENCE_SET_STATUS, SetStatus.class, this::setStatus))));
  }

  @Override
  public Future<?> stop() {
    // a clean stop wipes nothing: the map is the cluster's, and each gateway reports its own sockets closing;
    // the requests being served are answered (new ones go to the other presence verticles)
    UUID listener = membershipListener;
    Future<Void> answered = served == null ? Future.succeededFuture() : served.close(stopWaitMs);
    if (listener == null) {
      return answered;
    }
    return answered.compose(v -> vertx.executeBlocking(() -> hazelcast.getLifecycleService().isRunning()
        && hazelcast.getCluster().removeMembershipListener(listener)));
  }

  private Future<Admission> opened(SocketOpened opened) {
    requireIds(opened.userId(), opened.nodeId(), opened.socketId());
    return update(opened.userId(), new PresenceUpdates.AddSocket(opened.nodeId(), opened.socketId(), opened.maxSocketsPerUser()))
        .map(change -> new Admission(change != PresenceChange.REFUSED, 0));
  }

  private Future<Ping> closed(SocketClosed closed) {
    requireIds(closed.userId(), closed.nodeId(), closed.socketId());
    return update(closed.userId(), new PresenceUpdates.RemoveSocket(closed.nodeId(), closed.socketId())).map(new Ping());
  }

  private Future<PresenceChange> update(String userId, EntryProcessor<String, UserSockets, PresenceChange> change) {
    return Future.fromCompletionStage(sockets.submitToKey(userId, change), context)
        .onSuccess(result -> {
          if (result == PresenceChange.CAME_ONLINE) {
            log.debug("presence: {} {}", userId, result);
            announce(userId, true, ActivityStatus.ACTIVE, null);
          } else if (result == PresenceChange.WENT_OFFLINE) {
            log.debug("presence: {} {}", userId, result);
            wentOffline(List.of(userId));
          }
        });
  }

  /** Sets an online user's status; a change (not a repeat) is announced once, whatever the number of devices. */
  private Future<StatusSet> setStatus(SetStatus request) {
    requireIds(request.userId(), "-", "-");
    if (request.status() == null || !ActivityStatus.VALUES.contains(request.status())) {
      throw new InvalidRequest("status must be one of " + ActivityStatus.VALUES);
    }
    return Future.fromCompletionStage(sockets.submitToKey(request.userId(), new PresenceUpdates.SetStatus(request.status())), context)
        .map(outcome -> {
          if (outcome == PresenceUpdates.StatusOutcome.CHANGED) {
            announce(request.userId(), true, request.status(), null);
          }
          return new StatusSet(request.status(), outcome == PresenceUpdates.StatusOutcome.CHANGED,
              outcome != PresenceUpdates.StatusOutcome.OFFLINE);
        });
  }

  /**
   * Users whose last socket is gone: their last_seen is stored while their audience is
   * looked up (no extra round trip), and the change is announced once the store is done
   * (so that anyone told can read it back at once), or failed (announced all the same).
   */
  private void wentOffline(List<String> userIds) {
    // PostgreSQL keeps microseconds: what is announced is what will be read back
    Instant at = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    Future<?> recorded = retried(Addresses.RECORD_LAST_SEEN, new RecordLastSeen(List.copyOf(userIds), at), ANNOUNCE_ATTEMPTS)
        .onFailure(e -> log.warn("presence: last seen of {} users not stored: {}", userIds.size(), e.toString()));
    userIds.forEach(userId -> announce(userId, false, null, at, recorded));
  }

  private Future<Admission> viewerJoined(ViewerJoined joined) {
    requireIds(joined.userId(), joined.nodeId(), joined.socketId());
    ViewerUpdates.AddViewer add = new ViewerUpdates.AddViewer(joined.nodeId(), joined.socketId(), joined.userId(), joined.maxViewers());
    return Future.fromCompletionStage(viewers.submitToKey(joined.conversationId().toString(), add), context)
        .map(count -> new Admission(count >= 0, Math.max(count, 0)));
  }

  private Future<Ping> viewerLeft(ViewerLeft left) {
    requireIds("-", left.nodeId(), left.socketId());
    ViewerUpdates.RemoveViewer remove = new ViewerUpdates.RemoveViewer(left.nodeId(), left.socketId());
    return Future.fromCompletionStage(viewers.submitToKey(left.conversationId().toString(), remove), context).map(new Ping());
  }

  private Future<Viewers> viewersOf(ViewersQuery query) {
    return Future.fromCompletionStage(viewers.submitToKey(query.conversationId().toString(), new ViewerUpdates.Read()), context)
        .map(snapshot -> new Viewers(query.conversationId(), List.copyOf(snapshot.users()), snapshot.sockets()));
  }

  private Future<Admission> takeToken(RateLimitTake take) {
    requireIds(take.userId(), "-", "-");
    TokenBucket.Take processor = new TokenBucket.Take(take.perSecond(), take.burst(), System.currentTimeMillis(), take.wanted());
    return Future.fromCompletionStage(rateLimits.submitToKey(take.userId(), processor), context)
        .map(taken -> new Admission(taken > 0, taken));
  }

  private Future<PresenceSnapshot> query(PresenceQuery query) {
    Set<String> userIds = new LinkedHashSet<>();
    for (String userId : query.userIds() == null ? List.<String>of() : query.userIds()) {
      if (userId != null && !userId.isBlank()) {
        userIds.add(userId);
      }
    }
    if (userIds.size() > MAX_QUERY_USERS) {
      throw new InvalidRequest("at most " + MAX_QUERY_USERS + " users per presence query");
    }
    if (userIds.isEmpty()) {
      return Future.succeededFuture(new PresenceSnapshot(Map.of(), Map.of()));
    }
    // one bulk, non-blocking read on the owners of the users' partitions
    return Future.fromCompletionStage(sockets.submitToKeys(userIds, new PresenceUpdates.ReadPresence()), context)
        .map(found -> {
          Map<String, List<String>> nodesByUser = new TreeMap<>();
          Map<String, String> statusByUser = new HashMap<>();
          found.forEach((userId, online) -> {
            if (online != null && !online.nodes().isEmpty()) {
              nodesByUser.put(userId, List.copyOf(online.nodes()));
              statusByUser.put(userId, online.status());
            }
          });
          return new PresenceSnapshot(nodesByUser, statusByUser);
        });
  }

  /** A member left or died: its node's sockets are closed, whether or not its gateway could say so. */
  private final class DepartedNodes implements MembershipListener {
    @Override
    public void memberAdded(MembershipEvent event) {}

    @Override
    public void memberRemoved(MembershipEvent event) {
      Member member = event.getMember();
      String nodeId = member.getAttribute(NODE_ATTRIBUTE);
      if (nodeId == null || nodeId.isBlank()) {
        log.warn("presence: member {} left without a '{}' attribute; its sockets, if any, cannot be forgotten", member, NODE_ATTRIBUTE);
        return;
      }
      forgetNode(nodeId);
    }
  }

  /**
   * Runs on every surviving presence verticle: idempotent, so the first does the work and
   * the others change nothing; and no single "cleaner" has to be chosen, or survive.
   * executeOnEntries blocks (it visits every partition), hence a worker thread.
   */
  private Future<Void> forgetNode(String nodeId) {
    return context.executeBlocking(() -> {
      viewers.executeOnEntries(new ViewerUpdates.RemoveNode(nodeId));
      return sockets.executeOnEntries(new PresenceUpdates.RemoveNode(nodeId));
    }, false)
        .onSuccess(changes -> {
          long offline = changes.values().stream().filter(c -> c == PresenceChange.WENT_OFFLINE).count();
          log.info("presence: forgot the sockets of departed node {} ({} users went offline here)", nodeId, offline);
          List<String> gone = changes.entrySet().stream().filter(e -> e.getValue() == PresenceChange.WENT_OFFLINE).map(Map.Entry::getKey).toList();
          if (!gone.isEmpty()) {
            wentOffline(gone);
          }
        })
        .onFailure(e -> log.warn("presence: could not forget the sockets of node {}: {}", nodeId, e.toString()))
        .mapEmpty();
  }

  /**
   * A draining node, once its gateway has closed its sockets, removes whatever presence entries
   * still name it (a close report that got lost), so nobody is shown online through it while it
   * leaves. The members that stay would do the same when it has left; this is earlier.
   */
  public Future<Void> forgetSocketsOf(String nodeInstance) {
    return forgetNode(nodeInstance);
  }

  /**
   * Tells every gateway node of a change, once: the entry processor reports each change to
   * exactly one caller. The audience is everyone who shares a conversation with the user.
   */
  private void announce(String userId, boolean online, String status, Instant lastSeen) {
    announce(userId, online, status, lastSeen, Future.succeededFuture());
  }

  /** As above, published only once {@code after} has completed (successfully or not). */
  private void announce(String userId, boolean online, String status, Instant lastSeen, Future<?> after) {
    this.<CoMembers>retried(Addresses.CO_MEMBERS, new CoMembersRequest(userId), ANNOUNCE_ATTEMPTS)
        .compose(reply -> after.transform(ignored -> Future.succeededFuture(reply)))
        .onSuccess(reply -> vertx.eventBus().publish(Addresses.PRESENCE_CHANGES,
            new PresenceChanged(userId, online, reply.body().userIds(), status, lastSeen)))
        .onFailure(e -> log.warn("presence: change of {} not announced: {}", userId, e.toString()));
  }

  // ---- event-bus plumbing -------------------------------------------------------------

  /** Attempts, each with {@link #ANNOUNCE_TIMEOUT_MS}, of the requests behind an announcement. */
  private static final int ANNOUNCE_ATTEMPTS = 3;
  private static final long ANNOUNCE_TIMEOUT_MS = 2000;

  /**
   * A request that is asked again when it got no answer (timeout, no handler): right after
   * a node died, the event bus may still route to that node's persistence verticle until
   * the cluster drops its registrations. Only for idempotent requests.
   */
  private <T> Future<io.vertx.core.eventbus.Message<T>> retried(String address, Object body, int attempts) {
    io.vertx.core.eventbus.DeliveryOptions options = new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(ANNOUNCE_TIMEOUT_MS);
    return vertx.eventBus().<T>request(address, body, options).recover(e -> attempts > 1 && Failures.codeOf(e) == -1
        ? retried(address, body, attempts - 1)
        : Future.failedFuture(e));
  }

  private <T, R> Future<Void> serve(String address, Class<T> type, Function<T, Future<R>> handler) {
    return served.serve(address, type, handler, (message, failure) -> {
      if (failure instanceof InvalidRequest invalid) {
        message.fail(Failures.INVALID, invalid.getMessage());
      } else {
        log.warn("{}: presence map unavailable: {}", address, failure.toString());
        message.fail(Failures.UNAVAILABLE, "presence unavailable");
      }
    });
  }

  private static void requireIds(String userId, String nodeId, String socketId) {
    if (isBlank(userId) || isBlank(nodeId) || isBlank(socketId)) {
      throw new InvalidRequest("userId, nodeId and socketId are required");
    }
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }

  /** A request that can never succeed: answered {@link Failures#INVALID}, not logged. */
  private static final class InvalidRequest extends RuntimeException {
    InvalidRequest(String message) {
      super(message, null, false, false);
    }
  }
}
