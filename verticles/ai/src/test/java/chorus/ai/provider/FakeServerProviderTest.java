package chorus.ai.provider;

import chorus.ai.GeneratedReply;
import chorus.shared.bus.ReplyWork;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * What every provider test class shares: one Vert.x and one real HTTP server playing the
 * model's API for the class, its script cleared before each test, and the provider registry
 * built from an {@code ai} config section to generate with.
 */
abstract class FakeServerProviderTest {
  static Vertx vertx;
  static FakeModelServer server;

  @BeforeAll
  static void startServer() throws Exception {
    vertx = Vertx.vertx();
    server = new FakeModelServer(vertx);
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void clearScript() {
    server.reset();
  }

  static GeneratedReply reply(JsonObject ai, ReplyWork work, ProviderTestSupport.Deltas deltas) throws Exception {
    return ProviderTestSupport.reply(vertx, ProviderTestSupport.registry(vertx, ai), work, deltas);
  }

  static chorus.ai.ProviderFailure failure(JsonObject ai, ReplyWork work, ProviderTestSupport.Deltas deltas) {
    return ProviderTestSupport.failure(vertx, ProviderTestSupport.registry(vertx, ai), work, deltas);
  }

  static chorus.ai.ProviderFailure failure(JsonObject ai, ReplyWork work) {
    return failure(ai, work, new ProviderTestSupport.Deltas());
  }
}
