package chorus.node;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.config.Config;
import io.vertx.core.Completable;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hazelcast's cluster manager, except that the event bus stops choosing a node's consumers
 * the moment Hazelcast says the node has left. vertx-hazelcast keeps a dead node's
 * registrations until it has cleaned the cluster-wide subscription map (seconds after a
 * SIGKILL, more with many subscriptions), and Vert.x never fails a message sent to a node it
 * cannot reach: every request routed there waited out its timeout (an append 10 s, a
 * reconnecting socket's reads 2 s an attempt). Here the registrations handed to the event
 * bus's node selector leave out the nodes that have left, and when one leaves, every address
 * it served is handed over again without it: a request then goes to a live node, or fails at
 * once with NO_HANDLERS.
 */
final class LiveNodesClusterManager extends HazelcastClusterManager {
  /** The member attribute in which vertx-hazelcast keeps a member's Vert.x node id. */
  private static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";
  /** Vert.x node ids of the nodes that have left; never reused (a node's id is new at every start). */
  private final Set<String> left = ConcurrentHashMap.newKeySet();
  /** The latest registrations (unfiltered) of each address the node selector follows. */
  private final Map<String, List<RegistrationInfo>> latest = new ConcurrentHashMap<>();
  private volatile RegistrationListener selector;
  /** Updates of one address reach the selector in order; not the manager's own monitor, which Hazelcast's callbacks hold. */
  private final Object updates = new Object();

  LiveNodesClusterManager(Config config) {
    super(config);
  }

  @Override
  public void registrationListener(RegistrationListener listener) {
    selector = listener;
    super.registrationListener(new RegistrationListener() {
      @Override
      public void registrationsUpdated(RegistrationUpdateEvent event) {
        update(event.address(), event.registrations());
      }

      @Override
      public void registrationsLost() {
        latest.clear();
        listener.registrationsLost();
      }

      @Override
      public boolean wantsUpdatesFor(String address) {
        return listener.wantsUpdatesFor(address);
      }
    });
  }

  @Override
  public void getRegistrations(String address, Completable<List<RegistrationInfo>> promise) {
    super.getRegistrations(address, (registrations, failure) -> {
      if (failure != null) {
        promise.fail(failure);
      } else {
        remember(address, registrations);
        promise.succeed(live(registrations));
      }
    });
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    // vertx-hazelcast names its node by a member attribute, not the member's UUID
    String nodeId = event.getMember().getAttribute(NODE_ID_ATTRIBUTE);
    if (nodeId == null) {
      super.memberRemoved(event);
      return;
    }
    if (left.add(nodeId)) {
      // hand the selector every address the node served, without it, before the slow clean-up
      latest.forEach((address, registrations) -> {
        if (registrations.stream().anyMatch(registration -> nodeId.equals(registration.nodeId()))) {
          reannounce(address);
        }
      });
    }
    super.memberRemoved(event);
  }

  private void update(String address, List<RegistrationInfo> registrations) {
    synchronized (updates) {
      remember(address, registrations);
      RegistrationListener listener = selector;
      if (listener != null) {
        listener.registrationsUpdated(new RegistrationUpdateEvent(address, live(registrations)));
      }
    }
  }

  /** Hands the selector what is known of the address now, under the lock, so a newer update is never replaced by an older list. */
  private void reannounce(String address) {
    synchronized (updates) {
      List<RegistrationInfo> registrations = latest.get(address);
      RegistrationListener listener = selector;
      if (registrations != null && listener != null) {
        listener.registrationsUpdated(new RegistrationUpdateEvent(address, live(registrations)));
      }
    }
  }

  private void remember(String address, List<RegistrationInfo> registrations) {
    if (registrations == null || registrations.isEmpty()) {
      latest.remove(address);
    } else {
      latest.put(address, List.copyOf(registrations));
    }
  }

  private List<RegistrationInfo> live(List<RegistrationInfo> registrations) {
    if (registrations == null || left.isEmpty() || registrations.stream().noneMatch(r -> left.contains(r.nodeId()))) {
      return registrations;
    }
    return registrations.stream().filter(registration -> !left.contains(registration.nodeId())).toList();
  }
}
