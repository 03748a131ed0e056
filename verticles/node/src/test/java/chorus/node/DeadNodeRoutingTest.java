package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.ArrayList;
import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node killed without leaving (SIGKILL): as soon as the cluster has noticed, the event bus
 * stops sending to it. A request for an address only the dead node served fails at once with
 * NO_HANDLERS (so a caller can go elsewhere) instead of waiting out its timeout, and one for an
 * address the survivors serve too is answered by them, every time.
 */
class DeadNodeRoutingTest {
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  /** Hazelcast tells its listeners just after its member list changes; vertx-hazelcast's own clean-up took seconds. */
  static final long WITHIN_MS = 1000;
  static final long ATTEMPT_MS = 200;
  static final int SUBSCRIPTIONS = 2000;

  private static boolean noHandlers(Throwable failure) {
    return failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS;
  }

  @Test
  void requestsStopGoingToANodeOnceTheClusterHasSeenItDie() {
    try (TestCluster cluster = TestCluster.create(4, config -> {})) {
      ChorusNode survivor = cluster.addNode(EnumSet.of(NodeRole.GATEWAY));
      ChorusNode other = cluster.addNode(EnumSet.of(NodeRole.GATEWAY));
      ChorusNode doomed = cluster.addNode(EnumSet.of(NodeRole.GATEWAY));
      Await.result(doomed.vertx().eventBus().consumer("test.only-doomed", m -> m.reply("doomed")).completion());
      Await.result(doomed.vertx().eventBus().consumer("test.shared", m -> m.reply("doomed")).completion());
      Await.result(other.vertx().eventBus().consumer("test.shared", m -> m.reply("other")).completion());
      // many subscriptions, as a node with sockets on thousands of conversations has: vertx-hazelcast's
      // clean-up after a death goes through all of them before it forgets the dead node's
      List<Future<Void>> registered = new ArrayList<>();
      for (int i = 0; i < SUBSCRIPTIONS; i++) {
        registered.add(doomed.vertx().eventBus().consumer("test.topic." + i, m -> {}).completion());
        registered.add(other.vertx().eventBus().consumer("test.topic." + i, m -> {}).completion());
      }
      Await.result(Future.all(registered), Duration.ofSeconds(60));
      DeliveryOptions options = new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT.toMillis());
      // the survivor has used both addresses, so it holds what it learnt of their consumers
      Await.until("the survivor reaches both consumers of test.shared", Duration.ofSeconds(20), () -> {
        Set<Object> answers = new HashSet<>();
        for (int i = 0; i < 6; i++) {
          answers.add(Await.result(survivor.vertx().eventBus().request("test.shared", "hi", options)).body());
        }
        return answers.size() == 2;
      });
      assertEquals("doomed", Await.result(survivor.vertx().eventBus().request("test.only-doomed", "hi", options)).body());

      cluster.kill(2);
      Await.until("the survivor's cluster has seen the node go", Duration.ofSeconds(20),
          () -> survivor.hazelcast().getCluster().getMembers().size() == 2);

      // from then on a request for the dead node's own address is refused, not left to time out
      long seen = System.nanoTime();
      Throwable failure;
      do {
        failure = Await.failure(survivor.vertx().eventBus().request("test.only-doomed", "hi", new DeliveryOptions().setSendTimeout(ATTEMPT_MS)));
      } while (!noHandlers(failure) && System.nanoTime() - seen < TimeUnit.MILLISECONDS.toNanos(WITHIN_MS));
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - seen);
      Throwable last = failure;
      assertTrue(noHandlers(failure), () -> "still sent to the dead node " + tookMs + " ms after the cluster saw it go: " + last);
      long started = System.nanoTime();
      assertTrue(noHandlers(Await.failure(survivor.vertx().eventBus().request("test.only-doomed", "hi", options))));
      assertTrue(System.nanoTime() - started < TimeUnit.MILLISECONDS.toNanos(ATTEMPT_MS), "refused at once, not after the timeout");
      for (int i = 0; i < 6; i++) {
        assertEquals("other", Await.result(survivor.vertx().eventBus().request("test.shared", "hi", options), Duration.ofSeconds(3)).body(),
            "a request for a shared address goes to the live consumer");
      }
    }
  }
}
