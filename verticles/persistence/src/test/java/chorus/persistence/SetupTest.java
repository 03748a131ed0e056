package chorus.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.ConnectContext;
import chorus.shared.bus.ConnectContextRequest;
import chorus.shared.bus.CreateBot;
import chorus.shared.bus.CreateConversation;
import chorus.shared.bus.Ping;
import chorus.shared.domain.Bot;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Users, bots, conversations, the connect context and the readiness ping. */
class SetupTest extends PersistenceTestBase {

  @Test
  void createBotStoresWhatWasAsked() {
    String owner = newUser();
    Bot bot = call(Addresses.CREATE_BOT, new CreateBot(owner, "Ann", "admin", "Helper", BotKind.LLM, "Be kind.",
        Map.of("model", "local", "temperature", 0.5), true));
    assertNotNull(bot.id());
    assertEquals(owner, bot.ownerId());
    assertEquals("Helper", bot.name());
    assertEquals(BotKind.LLM, bot.kind());
    assertEquals("Be kind.", bot.personality());
    assertEquals(Map.of("model", "local", "temperature", 0.5), bot.settings());
    assertTrue(bot.isPublic());
    assertNotNull(bot.createdAt());
  }

  @Test
  void conversationWithOwnPrivateBotAndConnectContext() {
    String owner = newUser();
    Bot bot = createBot(owner, BotKind.LLM, false);
    Conversation conversation = createConversation(owner, bot.id());
    assertEquals(owner, conversation.ownerId());
    assertEquals(bot.id(), conversation.botId());
    assertEquals("a title", conversation.title());
    assertEquals("active", conversation.status());
    assertEquals(0, conversation.lastSeq());

    ConnectContext context = call(Addresses.CONNECT_CONTEXT, new ConnectContextRequest(conversation.id(), owner));
    assertEquals(conversation, context.conversation());
    assertEquals(bot, context.bot());
    assertEquals(owner, context.user().id());
    assertEquals("Name of " + owner, context.user().name());
    assertEquals("user", context.user().role());
  }

  @Test
  void anotherUsersPrivateBotIsNotFoundButAPublicOneWorks() {
    String alice = newUser();
    String bob = newUser();
    Bot privateBot = createBot(alice, BotKind.LLM, false);
    Bot publicBot = createBot(alice, BotKind.SURVEY, true);

    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.CREATE_CONVERSATION,
        new CreateConversation(bob, "Bob", "user", privateBot.id(), "mine?")));
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.CREATE_CONVERSATION,
        new CreateConversation(bob, "Bob", "user", UUID.randomUUID(), "no bot")));

    Conversation conversation = createConversation(bob, publicBot.id());
    assertEquals(bob, conversation.ownerId());
    // the conversation is Bob's, not the bot owner's
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.CONNECT_CONTEXT, new ConnectContextRequest(conversation.id(), alice)));
    ConnectContext context = call(Addresses.CONNECT_CONTEXT, new ConnectContextRequest(conversation.id(), bob));
    assertEquals(publicBot, context.bot());
  }

  @Test
  void theUserRowIsRefreshedFromTheLatestToken() {
    String owner = newUser();
    call(Addresses.CREATE_BOT, new CreateBot(owner, "Old Name", "user", "b", BotKind.SURVEY, null, null, false));
    Bot bot = call(Addresses.CREATE_BOT, new CreateBot(owner, "New Name", "admin", "b2", BotKind.SURVEY, null, null, false));
    assertEquals("", bot.personality(), "a missing personality is stored empty");
    assertEquals(Map.of(), bot.settings());
    assertFalse(bot.isPublic());
    Conversation conversation = call(Addresses.CREATE_CONVERSATION, new CreateConversation(owner, null, null, bot.id(), null));
    assertEquals("", conversation.title());

    ConnectContext context = call(Addresses.CONNECT_CONTEXT, new ConnectContextRequest(conversation.id(), owner));
    assertEquals("New Name", context.user().name(), "a missing name keeps the stored one");
    assertEquals("admin", context.user().role(), "a missing role keeps the stored one");
  }

  @Test
  void pingAnswersAfterADatabaseRoundTrip() {
    Ping pong = call(Addresses.DATABASE_PING, new Ping());
    assertNotNull(pong);
  }
}
