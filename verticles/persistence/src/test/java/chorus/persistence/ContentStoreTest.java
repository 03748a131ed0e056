package chorus.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.AttachmentFile;
import chorus.shared.bus.AttachmentStored;
import chorus.shared.bus.ChangeMembership;
import chorus.shared.bus.FetchAttachment;
import chorus.shared.bus.PublishKey;
import chorus.shared.bus.SearchMessages;
import chorus.shared.bus.SearchResults;
import chorus.shared.bus.StoreAttachment;
import chorus.shared.bus.UserKeys;
import chorus.shared.bus.UserKeysRequest;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.Role;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The V5 statements: attachments, the public-key directory and full-text search, against the real database. */
class ContentStoreTest extends PersistenceTestBase {

  private static void addMember(Conversation conversation, String user) {
    call(Addresses.CHANGE_MEMBERSHIP, new ChangeMembership(conversation.id(), conversation.ownerId(), user, true));
  }

  @Test
  void anAttachmentIsStoredForMembersAndReadOnlyByMembers() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    byte[] data = "a small file\n".getBytes(StandardCharsets.UTF_8);
    String sha = "0".repeat(64);
    AttachmentStored stored = call(Addresses.STORE_ATTACHMENT,
        new StoreAttachment(conversation.id(), conversation.ownerId(), "notes.txt", "text/plain", sha, data));
    assertEquals(data.length, stored.size());
    AttachmentFile file = call(Addresses.FETCH_ATTACHMENT, new FetchAttachment(stored.id(), conversation.ownerId()));
    assertArrayEquals(data, file.data());
    assertEquals("notes.txt", file.fileName());

    assertEquals(Failures.FORBIDDEN, failureOf(Addresses.FETCH_ATTACHMENT, new FetchAttachment(stored.id(), newUser())));
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.FETCH_ATTACHMENT, new FetchAttachment(UUID.randomUUID(), conversation.ownerId())));
    // a stranger cannot store into someone else's conversation
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.STORE_ATTACHMENT,
        new StoreAttachment(conversation.id(), newUser(), "x.txt", "text/plain", sha, data)));
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
