package chorus.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.HistoryPage;
import chorus.shared.bus.HistoryRequest;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.StoredMessage;
import java.util.List;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Page size 5 and page max 8 (see {@link PersistenceTestBase}), over a conversation of 10 messages. */
class HistoryTest extends PersistenceTestBase {
  private Conversation conversation;

  @BeforeEach
  void tenMessages() {
    conversation = newConversation(BotKind.SURVEY);
    for (int i = 1; i <= 10; i++) {
      append(quiet(conversation, "message " + i, null));
    }
  }

  private static List<Long> seqs(HistoryPage page) {
    return page.messages().stream().map(StoredMessage::seq).toList();
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  void forwardPagesFromTheStart() {
    HistoryPage first = history(conversation, null, null, 4);
    assertEquals(range(1, 4), seqs(first));
    assertTrue(first.hasMore());
    assertEquals("message 1", first.messages().get(0).content());

    HistoryPage second = history(conversation, 4L, null, 4);
    assertEquals(range(5, 8), seqs(second));
    assertTrue(second.hasMore());

    HistoryPage last = history(conversation, 8L, null, 4);
    assertEquals(range(9, 10), seqs(last));
    assertFalse(last.hasMore());

    HistoryPage exact = history(conversation, 6L, null, 4);
    assertEquals(range(7, 10), seqs(exact));
    assertFalse(exact.hasMore(), "a page that ends exactly at the newest message has no more");

    HistoryPage beyond = history(conversation, 10L, null, 4);
    assertEquals(List.of(), beyond.messages());
    assertFalse(beyond.hasMore());
  }

  @Test
  void backwardPagesAreTheNewestBeforeASeqOldestFirst() {
    HistoryPage page = history(conversation, null, 5L, 3);
    assertEquals(range(2, 4), seqs(page));
    assertTrue(page.hasMore());

    HistoryPage start = history(conversation, null, 3L, 5);
    assertEquals(range(1, 2), seqs(start));
    assertFalse(start.hasMore());

    HistoryPage newest = history(conversation, null, Long.MAX_VALUE, 3);
    assertEquals(range(8, 10), seqs(newest));
  }

  @Test
  void bothBoundsGiveTheRangeBetweenThem() {
    assertEquals(range(4, 6), seqs(history(conversation, 3L, 7L, 0)));
  }

  @Test
  void limitIsClampedToThePageBounds() {
    assertEquals(range(1, PAGE_SIZE), seqs(history(conversation, null, null, 0)), "0 means the default page size");
    assertEquals(range(1, PAGE_SIZE), seqs(history(conversation, null, null, -3)));
    HistoryPage max = history(conversation, null, null, 1000);
    assertEquals(range(1, PAGE_MAX), seqs(max), "at most historyPageMax");
    assertTrue(max.hasMore());
    assertEquals(range(1, 1), seqs(history(conversation, null, null, 1)));
  }

  @Test
  void emptyConversationIsAnEmptyPageNotAFailure() {
    Conversation empty = newConversation(BotKind.SURVEY);
    HistoryPage page = history(empty, null, null, 10);
    assertEquals(List.of(), page.messages());
    assertFalse(page.hasMore());
    assertEquals(List.of(), history(empty, null, 5L, 10).messages());
  }

  @Test
  void ownershipIsCheckedUnlessTheCallerIsTrusted() {
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.HISTORY,
        new HistoryRequest(conversation.id(), newUser(), null, null, 10)));
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.HISTORY,
        new HistoryRequest(UUID.randomUUID(), conversation.ownerId(), null, null, 10)));
    // no requester: a trusted caller inside the cluster (e.g. the AI verticle)
    HistoryPage trusted = call(Addresses.HISTORY, new HistoryRequest(conversation.id(), null, null, null, 3));
    assertEquals(range(1, 3), seqs(trusted));
  }
}
