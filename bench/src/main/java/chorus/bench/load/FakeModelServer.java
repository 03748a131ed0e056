package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A local fake model provider speaking the OpenAI chat-completions streaming protocol (the
 * one Chorus's {@code openai} provider calls): each reply is {@code tokens} words, one every
 * {@code intervalMs}, each word naming its round, conversation, the round's ask it answers and
 * its index ({@code r5g12a1012t3 }: round 5, conversation 12, ask 1012, word 3). It keeps the
 * moment it wrote each of this round's words, so the load generator (same process, same clock)
 * measures the latency Chorus adds between the provider's delta and the client's frame exactly.
 * The prompt's last user message says which round, conversation and ask it is
 * ({@code ai 5 12 1012}); an earlier round's ask (a job retried late) is answered too, its
 * words naming that round, but not timed. One server serves every round ({@link #newRound}),
 * so the node's connections to it stay open between rounds, as they do to a real provider on
 * a node in service.
 */
public final class FakeModelServer {

  /** An OpenAI chat completion chunk carrying one word, as an SSE event, around the word. */
  private static final String CHUNK_HEAD = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"";
  private static final String CHUNK_TAIL = "\"}}]}\n\n";

  private final Vertx vertx;
  private final long intervalMs;
  /** This round's reply length, number of asks and emission times; replaced together by {@link #newRound}, between rounds. */
  private volatile int round;
  private volatile int tokens;
  private volatile int asks;
  private volatile AtomicLongArray emitted;
  private final AtomicInteger concurrent = new AtomicInteger();
  private final AtomicInteger maxConcurrent = new AtomicInteger();
  private HttpServer server;

  public FakeModelServer(Vertx vertx, long intervalMs) {
    this.vertx = vertx;
    this.intervalMs = intervalMs;
    newRound(0, 0, 0);
  }

  /** Round {@code round} asks {@code asks} times (numbered from 0), each reply {@code tokens} words; the last round's times are forgotten. */
  public void newRound(int round, int tokens, int asks) {
    this.emitted = new AtomicLongArray(asks * (tokens + 1));
    this.round = round;
    this.tokens = tokens;
    this.asks = asks;
    concurrent.set(0);
    maxConcurrent.set(0);
  }

  public static String prompt(int round, int conversation, int ask) {
    return "ai " + round + " " + conversation + " " + ask;
  }

  public static String token(int round, int conversation, int ask, int index) {
    return "r" + round + "g" + conversation + "a" + ask + "t" + index + " ";
  }

  /** {round, conversation, ask, index} of a token (the first of a longer text), or null. */
  public static int[] parseToken(String text) {
    if (text == null || !text.startsWith("r")) {
      return null;
    }
    int g = text.indexOf('g');
    int a = text.indexOf('a');
    int t = text.indexOf('t');
    int end = text.indexOf(' ', t);
    try {
      return new int[] {Integer.parseInt(text.substring(1, g)), Integer.parseInt(text.substring(g + 1, a)),
          Integer.parseInt(text.substring(a + 1, t)), Integer.parseInt(text.substring(t + 1, end < 0 ? text.length() : end).strip())};
    } catch (RuntimeException e) {
      return null;
    }
  }

  public Future<Integer> listen(int port) {
    // no WebSocket compression: its extension handler would sit in every connection's pipeline, passing each chunk on
    server = vertx.createHttpServer(new HttpServerOptions().setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false));
    server.requestHandler(req -> req.body().onComplete(read -> {
      int[] asked = read.succeeded() ? askOf(read.result()) : null;
      HttpServerResponse resp = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
      int tokens = this.tokens;
      AtomicLongArray emitted = this.emitted;
      if (asked == null || asked[1] < 0 || asked[2] < 0) {
        resp.setStatusCode(400).end();
        return;
      }
      int askedRound = asked[0];
      int conversation = asked[1];
      int ask = asked[2];
      // a late retry of an earlier round's ask: answered, but its words are not this round's to time
      boolean timed = askedRound == round && ask < asks;
      int now = concurrent.incrementAndGet();
      maxConcurrent.accumulateAndGet(now, Math::max);
      int[] next = {1};
      vertx.setPeriodic(intervalMs, id -> {
        int i = next[0]++;
        if (i <= tokens) {
          // a word is letters, digits and a space: nothing to escape, so the chunk is written as text
          // rather than built and encoded as JSON, which was a fifth of this server's time per word
          String chunk = CHUNK_HEAD + token(askedRound, conversation, ask, i) + CHUNK_TAIL;
          if (timed) {
            emitted.set(ask * (tokens + 1) + i, System.nanoTime());
          }
          resp.write(chunk);
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

  /** {round, conversation, ask} from the prompt's last {@code ai R G A} user message, or null. */
  private static int[] askOf(Buffer body) {
    JsonArray messages;
    try {
      messages = body.toJsonObject().getJsonArray("messages", new JsonArray());
    } catch (RuntimeException e) {
      return null; // not a chat-completions request: answered 400
    }
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonObject m = messages.getJsonObject(i);
      String content = m.getString("content", "");
      if ("user".equals(m.getString("role")) && content.startsWith("ai ")) {
        String[] words = content.substring(3).strip().split(" ");
        try {
          return words.length == 3 ? new int[] {Integer.parseInt(words[0]), Integer.parseInt(words[1]), Integer.parseInt(words[2])} : null;
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    return null;
  }

  /** When word {@code index} of the reply to {@code ask} was written (nanoTime), 0 if never. */
  public long emittedAt(int ask, int index) {
    AtomicLongArray emitted = this.emitted;
    int tokens = this.tokens;
    return ask < 0 || ask >= asks || index < 0 || index > tokens ? 0 : emitted.get(ask * (tokens + 1) + index);
  }

  public int maxConcurrent() {
    return maxConcurrent.get();
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
