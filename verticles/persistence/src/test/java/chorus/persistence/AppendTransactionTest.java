package chorus.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.shared.bus.AppendResult;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A batch is BEGIN, its statements and COMMIT written to the connection at once (see
 * {@code MessageStore.inOneRoundTrip}). Each test has a pool of one new connection, as
 * the append connections are configured: every batch finds the connection as the previous
 * one left it, and the first batch's statements are prepared on it as they are sent.
 */
class AppendTransactionTest extends PersistenceTestBase {
  private Pool oneConnection;
  private MessageStore store;

  @BeforeEach
  void oneConnection() {
    PersistenceConfig config = PersistenceConfig.from(testConfig());
    oneConnection = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
        .connectingTo(PersistenceVerticle.preparedOnce(config.connectOptions())).using(vertx).build();
    store = new MessageStore(oneConnection, oneConnection, config);
  }

  @AfterEach
  void close() throws Exception {
    oneConnection.close().await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  @Test
  void aPlainBatchIsCommittedAndLeavesNoLockBehind() {
    Conversation first = newConversation(BotKind.SURVEY);
    Conversation second = newConversation(BotKind.SURVEY);

    List<AppendResult> results = await(store.appendPlain(List.of(
        params(first, "one"), params(second, "two"), params(first, "three"))));

    assertEquals(List.of(1L, 1L, 2L), results.stream().map(result -> result.message().seq()).toList());
    // read through the verticle's own connections: committed, not only visible to the batch's
    assertEquals(List.of("one", "three"), contents(first));
    assertEquals(List.of("two"), contents(second));
    assertUnlocked(first);
    assertUnlocked(second);
    assertOutsideATransaction();
  }

  @Test
  void aFailedPlainBatchStoresNothingAndTheNextBatchOnItsConnectionCommits() {
    Conversation conversation = newConversation(BotKind.SURVEY);

    // PostgreSQL refuses a NUL character in text: the batch's one statement fails
    Future<List<AppendResult>> failed = store.appendPlain(List.of(params(conversation, "fine"), params(conversation, "bad\u0000")));
    await(failed.otherwiseEmpty());

    assertTrue(failed.failed(), "the batch fails as a whole");
    assertEquals(List.of(), contents(conversation));
    assertEquals(0, lastSeq(conversation));
    assertUnlocked(conversation);
    assertOutsideATransaction();
    List<AppendResult> next = await(store.appendPlain(List.of(params(conversation, "after"))));
    assertEquals(1L, next.get(0).message().seq());
    assertEquals(List.of("after"), contents(conversation));
  }

  @Test
  void aFailedBatchOfSeparateStatementsStoresNoneOfThem() {
    Conversation conversation = newConversation(BotKind.SURVEY);

    Future<List<Future<AppendResult>>> failed = store.appendAll(List.of(
        params(conversation, "first"), params(conversation, "bad\u0000"), params(conversation, "third")));
    await(failed.otherwiseEmpty());

    assertTrue(failed.failed(), "the batch fails as a whole");
    assertEquals(List.of(), contents(conversation), "the statement before the failed one is rolled back too");
    assertUnlocked(conversation);
    assertOutsideATransaction();
    List<Future<AppendResult>> next = await(store.appendAll(List.of(params(conversation, "a"), params(conversation, "b"))));
    assertEquals(List.of(1L, 2L), next.stream().map(result -> result.result().message().seq()).toList());
    assertEquals(List.of("a", "b"), contents(conversation));
  }

  private static Tuple params(Conversation conversation, String content) {
    return MessageStore.appendParams(quiet(conversation, content, null));
  }

  private static List<String> contents(Conversation conversation) {
    return allMessages(conversation).stream().map(StoredMessage::content).toList();
  }

  /** Another connection can lock the conversation's row at once: no batch still holds it. */
  private static void assertUnlocked(Conversation conversation) {
    UUID locked = await(fixtures.withTransaction(connection -> connection.query("SET LOCAL lock_timeout = '2s'").execute()
        .compose(set -> connection.preparedQuery("SELECT id FROM conversations WHERE id = $1 FOR UPDATE")
            .execute(Tuple.of(conversation.id())))
        .map(rows -> rows.iterator().next().getUUID("id"))));
    assertEquals(conversation.id(), locked);
  }

  /** The batch's connection is back in autocommit: a statement on it is a transaction of its own, which writes nothing. */
  private void assertOutsideATransaction() {
    Object transactionId = await(oneConnection.query("SELECT txid_current_if_assigned() AS id").execute())
        .iterator().next().getValue("id");
    assertNull(transactionId, "the statement ran inside a transaction that had written");
  }
}
