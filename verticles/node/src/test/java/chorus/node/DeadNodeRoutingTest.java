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
import org.junit.jupiter.api.Test;

/**
 * A node killed without leaving (SIGKILL): as soon as the cluster has noticed, the event bus
 * stops sending to it. A request for an address only the dead node served fails at once with
 * NO_HANDLERS (so a caller can go elsewhere) instead of waiting out its timeout, and one for an
 * address the survivors serve too is answered by them, every time.
 */
class DeadNodeRoutingTest {
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  @Test
  void requestsStopGoingToANodeOnceTheClusterHasSeenItDie() {
    try (TestCluster cluster = TestCluster.create(4, config -> {})) {
      ChorusNode survivor = cluster.addNode(EnumSet.of(NodeRole.GATEWAY));
      ChorusNode other = cluster.addNode(EnumSet.of(NodeRole.GATEWAY));
      ChorusNode doomed = cluster.addNode(EnumSet.of(NodeRole.GATEWAY));
      Await.result(doomed.vertx().eventBus().consumer("test.only-doomed", m -> m.reply("doomed")).completion());
      Await.result(doomed.vertx().eventBus().consumer("test.shared", m -> m.reply("doomed")).completion());
      Await.result(other.vertx().eventBus().consumer("test.shared", m -> m.reply("other")).completion());
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

      long started = System.nanoTime();
      Throwable failure = Await.failure(survivor.vertx().eventBus().request("test.only-doomed", "hi", options));
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertTrue(failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS,
          () -> "expected NO_HANDLERS, got " + failure + " after " + tookMs + " ms");
      for (int i = 0; i < 6; i++) {
        assertEquals("other", Await.result(survivor.vertx().eventBus().request("test.shared", "hi", options), Duration.ofSeconds(3)).body(),
            "a request for a shared address goes to the live consumer");
      }
    }
  }
}
