package chorus.ai.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HttpProviderOptionsTest {

  @Test
  void theDefaultsInCodeAreThoseOfNodeJson() throws Exception {
    // surefire runs in the module directory
    JsonObject ai = new JsonObject(Files.readString(Path.of("../../config/node.json"))).getJsonObject("ai");
    assertEquals(HttpProviderOptions.from(new JsonObject()), HttpProviderOptions.from(ai));
    assertEquals(new HttpProviderOptions(5_000, 60_000, 30_000, 300_000, 2, 500, 10_000, 1_048_576, 4_000, 0.7, 1_024, 64, "auto"),
        HttpProviderOptions.from(ai));
    assertEquals(OpenAiProvider.DEFAULT_BASE_URL, ai.getString("openaiBaseUrl"));
    assertEquals(OpenAiProvider.DEFAULT_MODEL, ai.getString("openaiModel"));
    assertEquals(AnthropicProvider.DEFAULT_BASE_URL, ai.getString("anthropicBaseUrl"));
    assertEquals(AnthropicProvider.DEFAULT_MODEL, ai.getString("anthropicModel"));
    assertEquals(AnthropicProvider.DEFAULT_VERSION, ai.getString("anthropicVersion"));
  }

  @Test
  void anUnknownTokenLimitParameterIsRefusedAtStart() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> HttpProviderOptions.from(new JsonObject().put("openaiTokenLimitParameter", "max_output_tokens")));
    assertTrue(refused.getMessage().contains("ai.openaiTokenLimitParameter"), refused.getMessage());
  }

  @Test
  void retryAfterIsReadAsSecondsOrAsADate() {
    assertEquals(2_000, StreamingHttpProvider.retryAfterMillis("2"));
    assertEquals(-1, StreamingHttpProvider.retryAfterMillis("soon"));
    assertEquals(-1, StreamingHttpProvider.retryAfterMillis(null));
    assertEquals(0, StreamingHttpProvider.retryAfterMillis("Wed, 21 Oct 2015 07:28:00 GMT")); // in the past: now
  }
}
