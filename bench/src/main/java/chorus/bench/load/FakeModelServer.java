package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A local fake model provider speaking the OpenAI chat-completions streaming protocol (the
 * one Chorus's {@code openai} provider calls): each reply is {@code tokens} words, one every
 * {@code intervalMs}, each word naming its generation and index ({@code g12t3 }). It keeps
 * the moment it wrote each word, so the load generator (same process, same clock) measures
 * the latency Chorus adds between the provider's delta and the client's frame exactly.
 * The prompt's last user message says which generation it is ({@code ai 12}).
 */
public final class FakeModelServer {

  private final Vertx vertx;
  private final int tokens;
  private final long intervalMs;
  private final AtomicLongArray emitted;
  private final AtomicInteger concurrent = new AtomicInteger();
  private final AtomicInteger maxConcurrent = new AtomicInteger();
  private HttpServer server;

  public FakeModelServer(Vertx vertx, int generations, int tokens, long intervalMs) {
    this.vertx = vertx;
    this.tokens = tokens;
    this.intervalMs = intervalMs;
    this.emitted = new AtomicLongArray((generations + 1) * (tokens + 1));
  }

  public static String prompt(int generation) {
    return "ai " + generation;
  }

  public static String token(int generation, int index) {
    return "g" + generation + "t" + index + " ";
  }

  /** {generation, index} of a token, or null. */
  public static long[] parseToken(String text) {
    if (text == null || !text.startsWith("g")) {
      return null;
    }
    int t = text.indexOf('t');
    try {
      return new long[] {Long.parseLong(text.substring(1, t)), Long.parseLong(text.substring(t + 1).strip())};
    } catch (RuntimeException e) {
      return null;
    }
  }

  public Future<Integer> listen(int port) {
    server = vertx.createHttpServer();
    server.requestHandler(req -> req.body().onSuccess(body -> {
      int generation = generationOf(body.toJsonObject());
      HttpServerResponse resp = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
      if (generation < 0) {
        resp.setStatusCode(400).end();
        return;
      }
      int now = concurrent.incrementAndGet();
      maxConcurrent.accumulateAndGet(now, Math::max);
      int[] next = {1};
      vertx.setPeriodic(intervalMs, id -> {
        int i = next[0]++;
        if (i <= tokens) {
          String chunk = new JsonObject().put("choices", new JsonArray().add(new JsonObject().put("index", 0)
              .put("delta", new JsonObject().put("content", token(generation, i))))).encode();
          emitted.set(generation * (tokens + 1) + i, System.nanoTime());
          resp.write("data: " + chunk + "\n\n");
        } else {
          vertx.cancelTimer(id);
          concurrent.decrementAndGet();
          String usage = new JsonObject().put("choices", new JsonArray())
              .put("usage", new JsonObject().put("prompt_tokens", 10).put("completion_tokens", tokens)).encode();
          resp.write("data: " + usage + "\n\n");
          resp.end("data: [DONE]\n\n");
        }
      });
    }));
    return server.listen(port, "127.0.0.1").map(HttpServer::actualPort);
  }

  private static int generationOf(JsonObject request) {
    JsonArray messages = request.getJsonArray("messages", new JsonArray());
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonObject m = messages.getJsonObject(i);
      String content = m.getString("content", "");
      if ("user".equals(m.getString("role")) && content.startsWith("ai ")) {
        try {
          return Integer.parseInt(content.substring(3).strip());
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  /** When token {@code index} of {@code generation} was written (nanoTime), 0 if never. */
  public long emittedAt(int generation, int index) {
    int slot = generation * (tokens + 1) + index;
    return slot < emitted.length() ? emitted.get(slot) : 0;
  }

  public int maxConcurrent() {
    return maxConcurrent.get();
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
