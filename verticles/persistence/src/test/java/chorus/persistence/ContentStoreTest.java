package chorus.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.AttachmentFile;
import chorus.shared.bus.AppendResult;
import chorus.shared.bus.ChangeMembership;
import chorus.shared.bus.FetchAttachment;
import chorus.shared.bus.PublishKey;
import chorus.shared.bus.SearchMessages;
import chorus.shared.bus.SearchResults;
import chorus.shared.bus.UserKeys;
import chorus.shared.bus.UserKeysRequest;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The V5 statements: attachments, the public-key directory and full-text search, against the real database. */
class ContentStoreTest extends PersistenceTestBase {

  private static void addMember(Conversation conversation, String user) {
    call(Addresses.CHANGE_MEMBERSHIP, new ChangeMembership(conversation.id(), conversation.ownerId(), user, true));
  }

  static final String SHA = "0".repeat(64);

  static AppendMessage file(Conversation conversation, String uploader, String name, byte[] data, String clientMessageId) {
    return AppendMessage.fileFromUser(conversation.id(), uploader, clientMessageId, new AppendMessage.Attachment(name, "text/plain", SHA, data));
  }

  /** The file rows of a conversation, read directly: what a bus answer could hide. */
  static long fileRows(Conversation conversation) {
    return await(fixtures.preparedQuery("SELECT count(*) FROM attachments WHERE conversation_id = $1::uuid")
        .execute(Tuple.of(conversation.id()))).iterator().next().getLong(0);
  }

  @SuppressWarnings("unchecked")
  static UUID attachmentId(StoredMessage message) {
    return UUID.fromString((String) ((Map<String, Object>) message.meta().get("attachment")).get("id"));
  }

  @Test
  void aFileIsStoredWithItsMessageAndReadOnlyByMembers() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    byte[] data = "a small file\n".getBytes(StandardCharsets.UTF_8);
    AppendResult stored = append(file(conversation, conversation.ownerId(), "notes.txt", data, null));
    assertEquals("", stored.message().content());
    assertNull(stored.replyJobId());
    @SuppressWarnings("unchecked")
    Map<String, Object> described = (Map<String, Object>) stored.message().meta().get("attachment");
    assertEquals("notes.txt", described.get("file_name"));
    assertEquals(data.length, ((Number) described.get("size")).intValue());
    assertEquals(SHA, described.get("sha256"));
    AttachmentFile fetched = call(Addresses.FETCH_ATTACHMENT, new FetchAttachment(attachmentId(stored.message()), conversation.ownerId()));
    assertArrayEquals(data, fetched.data());
    assertEquals("notes.txt", fetched.fileName());
    assertEquals(1, fileRows(conversation));

    assertEquals(Failures.FORBIDDEN, failureOf(Addresses.FETCH_ATTACHMENT, new FetchAttachment(attachmentId(stored.message()), newUser())));
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.FETCH_ATTACHMENT, new FetchAttachment(UUID.randomUUID(), conversation.ownerId())));
  }

  @Test
  void aRefusedFileMessageLeavesNoFile() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    byte[] data = "x".getBytes(StandardCharsets.UTF_8);
    // a stranger cannot store into someone else's conversation: neither message nor file
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.APPEND, file(conversation, newUser(), "x.txt", data, null)));
    // the file breaks a rule (its checksum is not hex): the message is rolled back with it
    AppendMessage badFile = AppendMessage.fileFromUser(conversation.id(), conversation.ownerId(), null,
        new AppendMessage.Attachment("x.txt", "text/plain", "not-hex", data));
    assertEquals(Failures.INVALID, failureOf(Addresses.APPEND, badFile));
    assertEquals(0, fileRows(conversation));
    assertEquals(0, lastSeq(conversation));
  }

  @Test
  void aRepeatedMessageIdStoresTheFileOnce() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    byte[] data = "twice".getBytes(StandardCharsets.UTF_8);
    AppendResult first = append(file(conversation, conversation.ownerId(), "a.txt", data, "upload-1"));
    AppendResult again = append(file(conversation, conversation.ownerId(), "a.txt", data, "upload-1"));
    assertTrue(again.duplicate());
    assertEquals(attachmentId(first.message()), attachmentId(again.message()));
    // concurrent twins: one loses the unique constraint and is answered with the winner's row
    List<Future<AppendResult>> twins = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      twins.add(ask(Addresses.APPEND, file(conversation, conversation.ownerId(), "b.txt", data, "upload-2")));
    }
    await(Future.all(twins));
    assertEquals(1, twins.stream().filter(t -> !t.result().duplicate()).count());
    assertEquals(1, twins.stream().map(t -> attachmentId(t.result().message())).distinct().count());
    assertEquals(2, fileRows(conversation));
    assertEquals(2, lastSeq(conversation));
  }

  static AppendMessage sealedFor(Conversation conversation, String clientMessageId, String... recipients) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (String r : recipients) {
      list.add(Map.of("user_id", r, "key_id", "k1", "wrapped_key", "d3JhcA=="));
    }
    return new AppendMessage(conversation.id(), conversation.ownerId(), Role.USER, conversation.ownerId(), "",
        Map.of("encrypted", Map.of("algorithm", "X25519", "ciphertext", "opaque", "recipients", list)), clientMessageId, false, null, null, null);
  }

  @Test
  void anEnvelopeMayNameMembersOnly() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    String owner = conversation.ownerId();
    String member = newUser();
    addMember(conversation, member);
    append(sealedFor(conversation, null, owner, member));
    assertEquals(1, lastSeq(conversation));

    String stranger = newUser();
    call(Addresses.PUBLISH_KEY, new PublishKey(stranger, "S", "k1", "X25519", "AAAA", 2)); // a real user, just not a member
    assertEquals(Failures.UNKNOWN_REFERENCE, failureOf(Addresses.APPEND, sealedFor(conversation, "sealed-1", owner, stranger)));
    assertEquals(Failures.UNKNOWN_REFERENCE, failureOf(Addresses.APPEND, sealedFor(conversation, null, "nobody-" + UUID.randomUUID())));
    // membership is read when the message is stored: a removed member is a stranger now
    call(Addresses.CHANGE_MEMBERSHIP, new ChangeMembership(conversation.id(), owner, member, false));
    assertEquals(Failures.UNKNOWN_REFERENCE, failureOf(Addresses.APPEND, sealedFor(conversation, null, owner, member)));
    assertEquals(1, lastSeq(conversation));
    // the refused client id was not used up
    assertFalse(append(sealedFor(conversation, "sealed-1", owner)).duplicate());
    // a stranger to the conversation learns nothing about its members: not found, as always
    AppendMessage fromStranger = new AppendMessage(conversation.id(), stranger, Role.USER, stranger, "",
        Map.of("encrypted", Map.of("recipients", List.of(Map.of("user_id", "x")))), null, false, null, null, null);
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.APPEND, fromStranger));
  }

  @Test
  void keysAreVisibleToTheUserAndTheirCoMembersOnly() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    String owner = conversation.ownerId();
    String member = newUser();
    addMember(conversation, member);
    call(Addresses.PUBLISH_KEY, new PublishKey(member, "M", "k1", "X25519", "AAAA", 2));
    call(Addresses.PUBLISH_KEY, new PublishKey(member, "M", "k2", "X25519", "BBBB", 2));
    // a third key is over the limit; replacing one by its id is not
    assertEquals(Failures.CONFLICT, failureOf(Addresses.PUBLISH_KEY, new PublishKey(member, "M", "k3", "X25519", "CCCC", 2)));
    UserKeys replaced = call(Addresses.PUBLISH_KEY, new PublishKey(member, "M", "k2", "ECDH-P256", "DDDD", 2));
    assertEquals("DDDD", replaced.keys().get(0).publicKey());

    UserKeys seen = call(Addresses.USER_KEYS, new UserKeysRequest(owner, member));
    assertEquals(List.of("k1", "k2"), seen.keys().stream().map(UserKeys.Key::keyId).toList());
    assertEquals("ECDH-P256", seen.keys().get(1).algorithm());
    UserKeys own = call(Addresses.USER_KEYS, new UserKeysRequest(member, member));
    assertEquals(2, own.keys().size());
    UserKeys none = call(Addresses.USER_KEYS, new UserKeysRequest(member, owner));
    assertTrue(none.keys().isEmpty());
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.USER_KEYS, new UserKeysRequest(newUser(), member)));
  }

  @Test
  void concurrentPublishesNeverGoOverTheKeyCap() {
    int cap = 2;
    for (int round = 0; round < 5; round++) {
      String user = newUser();
      List<Future<Object>> publishes = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        publishes.add(ask(Addresses.PUBLISH_KEY, new PublishKey(user, "U", "device-" + i, "X25519", "KEY" + i, cap)));
      }
      await(Future.join(publishes).otherwiseEmpty()); // every publish has answered, some with a refusal
      assertEquals(cap, publishes.stream().filter(Future::succeeded).count(), "round " + round);
      publishes.stream().filter(Future::failed).forEach(f -> assertEquals(Failures.CONFLICT, Failures.codeOf(f.cause())));
      UserKeys stored = call(Addresses.USER_KEYS, new UserKeysRequest(user, user));
      assertEquals(cap, stored.keys().size(), "round " + round);
    }
  }

  @Test
  void anAiIsNeverGivenAnEnvelopeOrAFileInItsHistory() {
    Conversation conversation = newConversation(BotKind.LLM);
    String owner = conversation.ownerId();
    append(quiet(conversation, "plain before", null));
    append(new AppendMessage(conversation.id(), owner, Role.USER, owner, "", Map.of("encrypted", Map.of("ciphertext", "opaque")),
        null, false, null, null, null));
    append(new AppendMessage(conversation.id(), owner, Role.USER, owner, "", Map.of("attachment", Map.of("file_name", "a.png")),
        null, false, null, null, null));
    var question = append(AppendMessage.fromUser(conversation.id(), owner, "what now?", null));
    chorus.shared.bus.ReplyWork work = call(Addresses.CLAIM_REPLY_JOB,
        new chorus.shared.bus.ClaimReplyJob(question.replyJobId(), "content-test", 30_000, 10));
    assertEquals(List.of("plain before", "what now?"), work.history().stream().map(m -> m.content()).toList());
    append(reply(conversation, question.replyJobId(), "content-test", "an answer"));
  }

  @Test
  void aFileIsFoundByTheWordsOfItsName() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    String word = "ledger" + UUID.randomUUID().toString().substring(0, 8);
    String name = "Q3_" + word + "-final.pdf";
    append(file(conversation, conversation.ownerId(), name, "x".getBytes(StandardCharsets.UTF_8), null));
    for (String query : List.of(word, word.toUpperCase(), name, "q3 " + word + " final")) {
      SearchResults found = call(Addresses.SEARCH_MESSAGES, new SearchMessages(conversation.ownerId(), query, null, null, null, 10));
      assertEquals(1, found.hits().size(), query);
    }
  }

  @Test
  void searchFindsPlaintextOfTheRequestersConversationsOnly() {
    Conversation mine = newConversation(BotKind.SURVEY);
    Conversation theirs = newConversation(BotKind.SURVEY);
    String word = "zebra" + UUID.randomUUID().toString().substring(0, 8);
    append(quiet(mine, "the " + word + " crossed the road", null));
    append(quiet(mine, "nothing to see here", null));
    append(new AppendMessage(mine.id(), mine.ownerId(), Role.USER, mine.ownerId(), "", Map.of("encrypted",
        Map.of("algorithm", "X25519", "ciphertext", word)), null, false, null, null, null));
    append(quiet(theirs, "another " + word, null));
    for (int i = 0; i < 3; i++) {
      append(quiet(mine, word + " number " + i, null));
    }

    SearchResults first = call(Addresses.SEARCH_MESSAGES, new SearchMessages(mine.ownerId(), word, null, null, null, 3));
    assertEquals(3, first.hits().size());
    assertTrue(first.hasMore());
    assertEquals(word + " number 2", first.hits().get(0).message().content());
    assertTrue(first.hits().get(0).snippet().contains("**" + word + "**"), first.hits().get(0).snippet());
    var last = first.hits().get(2).message();
    SearchResults second = call(Addresses.SEARCH_MESSAGES, new SearchMessages(mine.ownerId(), word, null, last.createdAt(), last.id(), 3));
    assertEquals(List.of("the " + word + " crossed the road"), second.hits().stream().map(h -> h.message().content()).toList());
    assertFalse(second.hasMore());

    SearchResults scoped = call(Addresses.SEARCH_MESSAGES, new SearchMessages(theirs.ownerId(), word, mine.id(), null, null, 10));
    assertTrue(scoped.hits().isEmpty());
    SearchResults theirResults = call(Addresses.SEARCH_MESSAGES, new SearchMessages(theirs.ownerId(), word, null, null, null, 10));
    assertEquals(1, theirResults.hits().size());
    assertEquals(theirs.id(), theirResults.hits().get(0).message().conversationId());
  }
}
