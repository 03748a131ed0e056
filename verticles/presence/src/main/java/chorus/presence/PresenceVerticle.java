package chorus.presence;

import chorus.shared.Addresses;
import chorus.shared.bus.PayloadCodecs;
import chorus.shared.bus.Ping;
import chorus.shared.bus.PresenceQuery;
import chorus.shared.bus.PresenceSnapshot;
import chorus.shared.bus.SocketClosed;
import chorus.shared.bus.SocketOpened;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The presence role: which users have at least one socket open, and on which nodes,
 * cluster-wide. Gateways report sockets opening and closing; when Hazelcast drops a member
 * (a node that died), every survivor forgets that node's sockets, so no ghost stays online.
 */
public final class PresenceVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(PresenceVerticle.class);

  /** The Hazelcast map: user id -> sockets by node. */
  public static final String MAP_NAME = "chorus.presence.sockets";
  /** Member attribute holding the Chorus node id (set by the launcher). */
  public static final String NODE_ATTRIBUTE = "chorus.node";
  private static final int MAX_QUERY_USERS = 1000;

  private final HazelcastInstance hazelcast;
  private IMap<String, UserSockets> sockets;
  private UUID membershipListener;

  public PresenceVerticle(HazelcastInstance hazelcast) {
    this.hazelcast = hazelcast;
  }

  @Override
  public Future<?> start() {
    PayloadCodecs.install(vertx);
    return vertx.executeBlocking(() -> {
      sockets = hazelcast.getMap(MAP_NAME);
      membershipListener = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent event) {}

        @Override
        public void memberRemoved(MembershipEvent event) {
          String nodeId = event.getMember().getAttribute(NODE_ATTRIBUTE);
          if (nodeId != null) {
            forgetNode(nodeId);
          }
        }
      });
      return null;
    }).compose(v -> Future.all(
        vertx.eventBus().<SocketOpened>consumer(Addresses.PRESENCE_SOCKET_OPENED, message -> {
          SocketOpened opened = message.body();
          update(opened.userId(), new PresenceUpdates.AddSocket(opened.nodeId(), opened.socketId()))
              .onSuccess(online -> message.reply(new Ping()))
              .onFailure(e -> message.fail(503, "presence unavailable"));
        }).completion(),
        vertx.eventBus().<SocketClosed>consumer(Addresses.PRESENCE_SOCKET_CLOSED, message -> {
          SocketClosed closed = message.body();
          update(closed.userId(), new PresenceUpdates.RemoveSocket(closed.nodeId(), closed.socketId()))
              .onSuccess(online -> message.reply(new Ping()))
              .onFailure(e -> message.fail(503, "presence unavailable"));
        }).completion(),
        vertx.eventBus().<PresenceQuery>consumer(Addresses.PRESENCE_QUERY, message -> query(message.body().userIds())
            .onSuccess(message::reply)
            .onFailure(e -> message.fail(503, "presence unavailable"))).completion()));
  }

  @Override
  public Future<?> stop() {
    if (membershipListener == null) {
      return Future.succeededFuture();
    }
    // a clean stop wipes nothing: the gateway closes its own sockets and reports them
    return vertx.executeBlocking(() -> hazelcast.getLifecycleService().isRunning()
        && hazelcast.getCluster().removeMembershipListener(membershipListener));
  }

  private Future<Boolean> update(String userId, com.hazelcast.map.EntryProcessor<String, UserSockets, Boolean> change) {
    return Future.fromCompletionStage(sockets.submitToKey(userId, change), vertx.getOrCreateContext());
  }

  private Future<PresenceSnapshot> query(List<String> userIds) {
    if (userIds.size() > MAX_QUERY_USERS) {
      return Future.failedFuture(new IllegalArgumentException("too many users in one presence query"));
    }
    return vertx.executeBlocking(() -> {
      Map<String, UserSockets> found = sockets.getAll(new HashSet<>(userIds));
      Map<String, List<String>> nodesByUser = new TreeMap<>();
      found.forEach((user, value) -> {
        if (value != null && !value.isEmpty()) {
          nodesByUser.put(user, value.nodes());
        }
      });
      return new PresenceSnapshot(nodesByUser);
    }, false);
  }

  private void forgetNode(String nodeId) {
    vertx.executeBlocking(() -> {
      sockets.executeOnEntries(new PresenceUpdates.RemoveNode(nodeId));
      return null;
    }, false).onSuccess(v -> log.info("presence: forgot the sockets of departed node {}", nodeId))
        .onFailure(e -> log.warn("presence: could not forget node {}: {}", nodeId, e.toString()));
  }
}
