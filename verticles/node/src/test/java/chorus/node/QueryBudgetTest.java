package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.SqlQueryCounter;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * The document claims 3 queries to connect and 2-3 per message. Counted at the database
 * client: connecting costs one query for the socket's context, plus (only when the user
 * comes online) one for their presence audience and (only on a node new to the
 * conversation) one deferred read; storing a message costs one round trip, and a whole
 * exchange (user message, taking the reply job, the reply) costs three. (TestCluster turns
 * the per-user AI limits off; AiLimitsTest counts the same three with them on.)
 */
class QueryBudgetTest {

  @Test
  void connectAndStoreWithinBudget() {
    SqlQueryCounter counter = new SqlQueryCounter();
    try (TestCluster cluster = TestCluster.create(3, config -> {
      config.getJsonObject("ai").put("sweepIntervalMs", 600_000);
      config.getJsonObject("delivery").put("tailCheckMs", 0); // its periodic read would blur exact counts
    })) {
      // no AI role yet: what is counted is the gateway's and the user messages' own cost
      cluster.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE, NodeRole.PRESENCE), counter);
      String token = cluster.token(TestCluster.newUserId());
      String conversationId = cluster.newConversation(token, "Budget", "Counts queries.");

      counter.awaitQuiet();
      counter.reset();
      WsClient ws = cluster.openConversation(0, conversationId, token);
      // the context (user, conversation, bot), the audience of the user's presence change
      // (only when they come online), and once the subscription has settled one read that
      // closes the join race (only on a node new to the conversation); then nothing more
      Await.until("settle read", Duration.ofSeconds(5), () -> counter.count() >= 3);
      counter.awaitQuiet();
      assertEquals(3, counter.count(), () -> "connect: " + counter.statements());
      assertTrue(counter.statements().get(0).contains("JOIN conversation_members cm"), () -> "context first: " + counter.statements());

      counter.reset();
      int messages = 20;
      for (int i = 0; i < messages; i++) {
        ws.userMessage("message " + i, "budget-" + i);
        ws.next("message_received");
      }
      assertEquals(messages, counter.count(), () -> "store: " + counter.statements());

      // now the whole exchange: a worker joins, answers the 20 waiting jobs and one more
      cluster.addNode(EnumSet.of(NodeRole.AI));
      for (int i = 0; i < messages; i++) {
        ws.next("assistant_message");
      }
      // each reply was committed before it was sent (concurrent ones possibly in one batch);
      // replies stored concurrently may reach the feed out of order and be read back once
      // (gap fill): let that settle so the exchange below is counted alone
      counter.awaitQuiet();
      counter.reset();
      ws.userMessage("one more", "budget-last");
      ws.next("message_received");
      ws.next("assistant_message");
      ws.expectSilence(Duration.ofMillis(500));
      assertTrue(counter.count() <= 3, () -> "exchange: " + counter.statements());
      ws.close();
    }
  }

  /**
   * Each message passes the cluster-wide rate limit, a Hazelcast map call. On a machine
   * whose common ForkJoinPool has one thread (2 cores) Hazelcast completed each such call on
   * a thread of its own: a thread started per message. Messages must cost no threads.
   */
  @Test
  void messagesStartNoThreads() {
    try (TestCluster cluster = TestCluster.create(1, config -> {})) {
      // no AI role: only the user messages, each through the rate limit
      cluster.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE, NodeRole.PRESENCE));
      String token = cluster.token(TestCluster.newUserId());
      String conversationId = cluster.newConversation(token, "Threads", "Counts threads.");
      WsClient ws = cluster.openConversation(0, conversationId, token);
      ws.userMessage("warm", "threads-warm");
      ws.next("message_received");
      java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
      long before = threads.getTotalStartedThreadCount();
      int messages = 100;
      for (int i = 0; i < messages; i++) {
        ws.userMessage("message " + i, "threads-" + i);
        ws.next("message_received");
      }
      long started = threads.getTotalStartedThreadCount() - before;
      assertTrue(started < messages / 4, () -> started + " threads started for " + messages + " messages");
      ws.close();
    }
  }

  /**
   * The conversation profile's opt-ins cost one query each, only for the sockets that ask:
   * ?history=N one history page, ?presence=true the conversation's member list (the online
   * and viewer snapshot comes from the presence role, not the database).
   */
  @Test
  void historyAndPresenceOnConnectCostOneQueryEach() {
    SqlQueryCounter counter = new SqlQueryCounter();
    // the node's first socket on the conversation makes one settle read: done quickly, before
    // counting. One gateway event loop: each loop's first socket on a conversation makes its own
    try (TestCluster cluster = TestCluster.create(3, config -> {
      config.getJsonObject("delivery").put("tailCheckMs", 0).put("subscriptionSettleMs", 100);
      config.getJsonObject("http").put("instances", 1);
    })) {
      cluster.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE, NodeRole.PRESENCE), counter);
      String token = cluster.token(TestCluster.newUserId());
      String conversationId = cluster.newConversation(token, "Budget", "Counts queries.", "survey");
      WsClient writer = cluster.openConversation(0, conversationId, token);
      for (int i = 0; i < 3; i++) {
        writer.userMessage("m" + i, null);
        writer.next("message_received");
      }
      counter.awaitQuiet();
      counter.reset();
      // the user is online already and the node holds the conversation: the plain connect costs
      // only its context; history and presence add one query each
      WsClient ws = cluster.connect(0, "/api/v1/conversations/" + conversationId + "/ws?token=" + token + "&history=2&presence=true");
      ws.next("connection_ack");
      assertEquals(2, ws.next("history").getJsonArray("messages").size());
      ws.next("online_users");
      counter.awaitQuiet();
      assertEquals(3, counter.count(), () -> "connect with history and presence: " + counter.statements());
      ws.close();
      writer.close();
    }
  }
}
