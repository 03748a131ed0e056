package chorus.gateway;

import chorus.shared.Addresses;
import chorus.shared.bus.Admission;
import chorus.shared.bus.RateLimitTake;
import chorus.shared.bus.SocketClosed;
import chorus.shared.bus.SocketOpened;
import chorus.shared.bus.ViewerJoined;
import chorus.shared.bus.ViewerLeft;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's side of the presence role: admits sockets (per user) and conversation
 * views (per conversation) against cluster-wide limits, reports them closing, and takes
 * from users' cluster-wide message allowance. A close or leave is sent only after its
 * open was answered, so two presence verticles can never apply them in the wrong order.
 *
 * <p>Each request is tried with a short timeout and tried again ({@link RetriedRequests}:
 * opens, closes and viewer changes alike; each is idempotent): in the seconds after a node
 * dies, the cluster still lists its presence role, and a request sent there is never answered. When
 * no attempt is answered, sockets are admitted (fail open, logged: a presence outage must not
 * take the chat down with it), and an admitted socket's open keeps being recorded in the
 * background until it is or the socket closes, so a connected user never stays shown offline.
 */
public final class PresenceClient {
  private static final Logger log = LoggerFactory.getLogger(PresenceClient.class);
  /** Between two attempts of a late open. */
  private static final long RETRY_PAUSE_MS = 100;
  /** How long tokens taken ahead for a user stay usable on this node. */
  static final long LEASE_MS = 1000;

  private final Vertx vertx;
  private final RetriedRequests requests;
  private final GatewayConfig config;
  /** Admitted sockets whose open is not recorded yet, by socket id (sockets of every event loop). */
  private final Map<String, LateOpen> lateOpens = new ConcurrentHashMap<>();
  /** Message tokens taken ahead, by user; an entry is replaced by the next lease, and swept when it expired. */
  private final Map<String, Lease> leases = new ConcurrentHashMap<>();

  public PresenceClient(Vertx vertx, GatewayConfig config, RetriedRequests requests) {
    this.vertx = vertx;
    this.requests = requests;
    this.config = config;
    // a timer of the verticle that makes this client (in its start), so undeploying stops it
    vertx.setPeriodic(LEASE_MS, timer -> {
      long now = System.nanoTime();
      leases.values().removeIf(lease -> lease.expired(now));
    });
  }

  /** Admits a socket unless its user already has limits.maxSocketsPerUser open in the cluster. */
  public Future<Boolean> opened(String userId, String socketId, String profile) {
    SocketOpened open = new SocketOpened(userId, config.nodeInstance(), socketId, profile, config.maxSocketsPerUser());
    return requests.<Admission>ask(Addresses.PRESENCE_SOCKET_OPENED, open).map(Admission::admitted).recover(e -> {
      log.warn("presence: socket open not checked, admitting and recording it in the background: {}", e.toString());
      LateOpen late = new LateOpen(new SocketOpened(userId, config.nodeInstance(), socketId, profile, Integer.MAX_VALUE));
      lateOpens.put(socketId, late);
      late.attempt();
      return Future.succeededFuture(true);
    });
  }

  public void closed(Future<Boolean> opened, String userId, String socketId) {
    opened.onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        LateOpen late = lateOpens.remove(socketId);
        // after the open that may still be on its way, never before it
        Future<?> after = late == null ? Future.succeededFuture() : late.stop();
        after.onComplete(done -> requests.ask(Addresses.PRESENCE_SOCKET_CLOSED, new SocketClosed(userId, config.nodeInstance(), socketId))
            .onFailure(e -> log.warn("presence: socket close not recorded: {}", e.toString())));
      }
    });
  }

  /** Admits a socket's view of a conversation unless limits.maxSocketsPerConversation are on it already. */
  public Future<Boolean> viewerJoined(UUID conversationId, String userId, String socketId) {
    return admitted(requests.ask(Addresses.PRESENCE_VIEWER_JOINED,
        new ViewerJoined(conversationId, userId, config.nodeInstance(), socketId, config.maxSocketsPerConversation())), "viewer join");
  }

  public void viewerLeft(Future<Boolean> joined, UUID conversationId, String socketId) {
    joined.onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        requests.ask(Addresses.PRESENCE_VIEWER_LEFT, new ViewerLeft(conversationId, config.nodeInstance(), socketId))
            .onFailure(e -> log.warn("presence: viewer leave not recorded: {}", e.toString()));
      }
    });
  }

  /**
   * One message's worth of the user's cluster-wide allowance: false when it is used up.
   * Tokens are taken from the cluster's bucket a few at a time (at most
   * limits.rateLimitLease, and a quarter of the burst, so a small burst is taken one by one
   * and stays exact) and the rest kept here for the user's next messages for
   * {@value #LEASE_MS} ms: a busy user costs the cluster one map operation per several
   * messages instead of one each. Kept tokens that expire are lost, never given back, so a
   * user can only ever get less than the allowance, not more.
   */
  public Future<Boolean> takeMessageToken(String userId) {
    long now = System.nanoTime();
    Lease lease = leases.get(userId);
    if (lease != null && lease.take(now)) {
      return Future.succeededFuture(true);
    }
    int wanted = Math.max(1, Math.min(config.rateLimitLease(), config.messageBurst() / 4));
    Future<Admission> taken = requests.ask(Addresses.RATE_LIMIT_TAKE, new RateLimitTake(userId, config.messagesPerSecond(), config.messageBurst(), wanted));
    return admitted(taken.onSuccess(admission -> {
      if (admission.count() > 1) {
        // this message takes one; the others wait here for the next ones
        leases.put(userId, new Lease(admission.count() - 1, System.nanoTime() + LEASE_MS * 1_000_000L));
      }
    }), "rate limit");
  }

  /** Tokens of one user's allowance taken ahead on this node, usable until they expire. */
  private static final class Lease {
    private int tokens;
    private final long expiresNanos;

    Lease(int tokens, long expiresNanos) {
      this.tokens = tokens;
      this.expiresNanos = expiresNanos;
    }

    boolean expired(long nowNanos) {
      return nowNanos >= expiresNanos;
    }

    synchronized boolean take(long nowNanos) {
      if (tokens > 0 && nowNanos < expiresNanos) {
        tokens--;
        return true;
      }
      return false;
    }
  }

  private static Future<Boolean> admitted(Future<Admission> request, String what) {
    return request.map(Admission::admitted).recover(e -> {
      log.warn("presence: {} not checked, admitting: {}", what, e.toString());
      return Future.succeededFuture(true);
    });
  }

  /**
   * An admitted socket's open, recorded again and again (no limit: the socket is open
   * already; adding a socket twice is adding it once) until it is, or the socket closes.
   */
  private final class LateOpen {
    private final SocketOpened open;
    private boolean stopped;
    private Future<?> inFlight = Future.succeededFuture();

    LateOpen(SocketOpened open) {
      this.open = open;
    }

    void attempt() {
      if (stopped) {
        return;
      }
      inFlight = requests.once(Addresses.PRESENCE_SOCKET_OPENED, open).onComplete(ar -> {
        if (ar.succeeded()) {
          lateOpens.remove(open.socketId(), this);
          log.info("presence: socket {} of {} recorded late", open.socketId(), open.userId());
        } else {
          vertx.setTimer(RETRY_PAUSE_MS, t -> attempt());
        }
      });
    }

    /** No more attempts; completes once the one under way (if any) is answered or timed out. */
    Future<?> stop() {
      stopped = true;
      return inFlight.otherwiseEmpty();
    }
  }
}
