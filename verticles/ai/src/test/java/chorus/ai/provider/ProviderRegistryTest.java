package chorus.ai.provider;

import static chorus.ai.provider.FakeModelServer.stream;
import static chorus.ai.provider.ProviderTestSupport.GLOBAL_KEY;
import static chorus.ai.provider.ProviderTestSupport.OPENAI_DONE;
import static chorus.ai.provider.ProviderTestSupport.ai;
import static chorus.ai.provider.ProviderTestSupport.openAiChunk;
import static chorus.ai.provider.ProviderTestSupport.registry;
import static chorus.ai.provider.ProviderTestSupport.work;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.ai.GeneratedReply;
import chorus.ai.ProviderFailure;
import chorus.ai.provider.ProviderTestSupport.Deltas;
import chorus.shared.bus.ReplyWork;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which provider, endpoint and key a bot gets. */
class ProviderRegistryTest {
  private static final String TEAM_KEY = "sk-team-key-abcdef";
  private static Vertx vertx;
  private static FakeModelServer server;
  private static FakeModelServer other;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    server = new FakeModelServer(vertx);
    other = new FakeModelServer(vertx);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    other.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void clearScript() {
    server.reset();
    other.reset();
  }

  private static ProviderFailure failure(ProviderRegistry registry, ReplyWork work) {
    return ProviderTestSupport.failure(vertx, registry, work, new Deltas());
  }

  private static GeneratedReply reply(ProviderRegistry registry, ReplyWork work) throws Exception {
    return ProviderTestSupport.reply(vertx, registry, work, new Deltas());
  }

  @Test
  void localIsTheDefaultWhenNothingIsConfigured() throws Exception {
    ProviderRegistry registry = registry(vertx, new JsonObject());
    assertEquals("local", registry.name());
    assertEquals("local", reply(registry, work("", Map.of(), "hi")).meta().get("provider"));
  }

  @Test
  void anUnknownGlobalProviderFailsTheStartWithTheAvailableOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> registry(vertx, new JsonObject().put("provider", "gpt-magic")));
    assertEquals("unknown ai.provider 'gpt-magic' (available: local, openai, anthropic)", e.getMessage());
  }

  @Test
  void aHostedProviderWithoutAKeyFailsTheStartWithoutShowingAnyKey() {
    IllegalArgumentException anthropic = assertThrows(IllegalArgumentException.class,
        () -> registry(vertx, new JsonObject().put("provider", "anthropic")));
    assertTrue(anthropic.getMessage().contains("CHORUS_AI_ANTHROPIC_API_KEY"), anthropic.getMessage());
    IllegalArgumentException openai = assertThrows(IllegalArgumentException.class,
        () -> registry(vertx, new JsonObject().put("provider", "openai")));
    assertTrue(openai.getMessage().contains("CHORUS_AI_OPENAI_API_KEY"), openai.getMessage());
  }

  @Test
  void badTimeoutsFailTheStart() {
    assertThrows(IllegalArgumentException.class, () -> registry(vertx, ai("local", server.baseUrl()).put("firstTokenTimeoutMs", 0)));
    assertThrows(IllegalArgumentException.class, () -> registry(vertx, ai("local", server.baseUrl()).put("temperature", 3)));
    // an environment override arrives as text
    assertEquals("local", registry(vertx, ai("local", server.baseUrl()).put("temperature", "0.3")).name());
  }

  @Test
  void aBotChoosesItsProviderOverTheGlobalOne() throws Exception {
    server.then(stream(openAiChunk("from openai"), OPENAI_DONE));
    ProviderRegistry registry = registry(vertx, ai("local", server.baseUrl()));
    GeneratedReply reply = reply(registry, work("", Map.of("provider", "OpenAI"), "hi"));
    assertEquals("from openai", reply.content());
    assertEquals("openai", reply.meta().get("provider"));
    assertEquals("local", reply(registry, work("", Map.of(), "hi")).meta().get("provider"));
  }

  @Test
  void aBotWithAnUnknownProviderGetsAFailureNotAStartError() {
    ProviderRegistry registry = registry(vertx, ai("local", server.baseUrl()));
    assertEquals("unknown_provider", failure(registry, work("", Map.of("provider", "gpt-magic"), "hi")).kind());
  }

  @Test
  void invalidBotSettingsAreRefusedBeforeAnyCall() {
    ProviderRegistry registry = registry(vertx, ai("openai", server.baseUrl()));
    assertEquals("invalid_bot_settings", failure(registry, work("", Map.of("temperature", 7), "hi")).kind());
    assertEquals("invalid_bot_settings", failure(registry, work("", Map.of("max_tokens", -1), "hi")).kind());
    assertEquals("invalid_bot_settings", failure(registry, work("", Map.of("max_tokens", "many"), "hi")).kind());
    assertTrue(server.received.isEmpty());
  }

  @Test
  void aNamedCredentialSendsItsKeyFromTheEnvironmentToItsOwnBaseUrl() throws Exception {
    other.then(stream(openAiChunk("team"), OPENAI_DONE));
    JsonObject ai = ai("openai", server.baseUrl()).put("credentials",
        new JsonObject().put("team", new JsonObject().put("apiKeyEnv", "TEAM_OPENAI_KEY").put("baseUrl", other.baseUrl() + "/v1/")));
    ProviderRegistry registry = ProviderRegistry.create(vertx, ai, Map.of("TEAM_OPENAI_KEY", TEAM_KEY), ProviderTestSupport.LOCAL);
    assertEquals("team", reply(registry, work("", Map.of("credential", "team"), "hi")).content());
    assertEquals("Bearer " + TEAM_KEY, other.received.get(0).headers().get("authorization"));
    assertTrue(server.received.isEmpty());

    assertEquals("unknown_credential", failure(registry, work("", Map.of("credential", "nope"), "hi")).kind());
    // the credential's key never goes to another base URL, even an allowed one
    ProviderRegistry allowing = ProviderRegistry.create(vertx, ai.copy().put("allowedBaseUrls", server.baseUrl() + "/v1"),
        Map.of("TEAM_OPENAI_KEY", TEAM_KEY), ProviderTestSupport.LOCAL);
    assertEquals("base_url_not_allowed",
        failure(allowing, work("", Map.of("credential", "team", "base_url", server.baseUrl() + "/v1"), "hi")).kind());
    assertTrue(server.received.isEmpty());
  }

  @Test
  void aCredentialWithoutAKeyFailsTheStart() {
    JsonObject ai = ai("local", server.baseUrl()).put("credentials",
        new JsonObject().put("team", new JsonObject().put("apiKeyEnv", "NOT_SET")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ProviderRegistry.create(vertx, ai, Map.of(), ProviderTestSupport.LOCAL));
    assertTrue(e.getMessage().contains("ai.credentials.team"), e.getMessage());
  }

  @Test
  void aBotsBaseUrlMustBeAllowedAndGetsNoGlobalKey() throws Exception {
    ProviderRegistry strict = registry(vertx, ai("openai", server.baseUrl()));
    assertEquals("base_url_not_allowed", failure(strict, work("", Map.of("base_url", other.baseUrl() + "/v1"), "hi")).kind());
    assertTrue(other.received.isEmpty());

    other.then(stream(openAiChunk("from a local server"), OPENAI_DONE));
    ProviderRegistry allowing = registry(vertx, ai("openai", server.baseUrl()).put("allowedBaseUrls", "http://x.invalid, " + other.baseUrl() + "/v1"));
    GeneratedReply reply = reply(allowing, work("", Map.of("base_url", other.baseUrl() + "/v1", "model", "qwen2.5"), "hi"));
    assertEquals("from a local server", reply.content());
    assertFalse(other.received.get(0).headers().containsKey("authorization"));
    assertEquals("qwen2.5", other.received.get(0).body().getString("model"));
    assertFalse(other.received.get(0).body().encode().contains(GLOBAL_KEY));
  }
}
