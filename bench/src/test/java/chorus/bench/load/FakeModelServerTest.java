package chorus.bench.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fake provider over real HTTP: its words name their round, and only this round's are timed. */
class FakeModelServerTest {
  private static Vertx vertx;
  private static FakeModelServer provider;
  private static HttpClient http;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    provider = new FakeModelServer(vertx, 5);
    port = provider.listen(0).await(10, TimeUnit.SECONDS);
    // a connection per ask: each test request stands alone, as the node's pooled ones are not under test here
    http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static String ask(String prompt) throws Exception {
    return post(new JsonObject().put("model", "fake").put("stream", true)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", prompt))).toBuffer());
  }

  private static String post(Buffer body) throws Exception {
    return http.request(HttpMethod.POST, port, "127.0.0.1", "/v1/chat/completions")
        .compose(req -> req.send(body))
        .compose(resp -> resp.body().map(b -> resp.statusCode() == 200 ? b.toString() : "status " + resp.statusCode()))
        .await(10, TimeUnit.SECONDS);
  }

  @Test
  void wordsNameTheirRoundAndOnlyThisRoundsAreTimed() throws Exception {
    provider.newRound(7, 3, 2);
    String stream = ask("ai 7 4 1");
    assertTrue(stream.contains("\"content\":\"r7g4a1t1 \""), stream);
    assertTrue(stream.contains("\"content\":\"r7g4a1t3 \""), stream);
    assertTrue(stream.endsWith("data: [DONE]\n\n"), stream);
    assertTrue(provider.emittedAt(1, 3) > 0);
    // every event but the last is a chat completion chunk in JSON, the words in order, then the usage
    List<JsonObject> chunks = Arrays.stream(stream.split("\n\n")).map(event -> event.substring("data: ".length()))
        .filter(data -> !data.equals("[DONE]")).map(JsonObject::new).toList();
    assertEquals(List.of("r7g4a1t1 ", "r7g4a1t2 ", "r7g4a1t3 "), chunks.subList(0, 3).stream()
        .map(c -> c.getJsonArray("choices").getJsonObject(0).getJsonObject("delta").getString("content")).toList());
    assertEquals(3, chunks.get(3).getJsonObject("usage").getInteger("completion_tokens"));

    // a job of round 6 retried late: answered, in its own round's words, and not timed as this round's ask 0
    String late = ask("ai 6 4 0");
    assertTrue(late.contains("\"content\":\"r6g4a0t1 \""), late);
    assertEquals(0, provider.emittedAt(0, 1));

    assertEquals("status 400", ask("what is this"));
    assertEquals("status 400", post(Buffer.buffer("not json")));
  }

  @Test
  void aTokenParsesBackAloneOrAtTheHeadOfAReply() {
    assertArrayEquals(new int[] {7, 4, 1, 3}, FakeModelServer.parseToken(FakeModelServer.token(7, 4, 1, 3)));
    assertArrayEquals(new int[] {7, 4, 1, 1}, FakeModelServer.parseToken("r7g4a1t1 r7g4a1t2 r7g4a1t3 "));
    assertNull(FakeModelServer.parseToken("g4a1t1 "));
    assertNull(FakeModelServer.parseToken(null));
  }
}
