package chorus.ai.provider;

import chorus.ai.Cancellation;
import chorus.ai.DeltaSink;
import chorus.ai.GeneratedReply;
import chorus.ai.ProviderFailure;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A model API that streams its reply as server-sent events over HTTP: the shared engine of
 * the {@code openai} and {@code anthropic} providers. Subclasses say what to send and how to
 * read an event; this class owns the call: timeouts (connect, first token, silence between
 * tokens, total), retries with exponential backoff and jitter (429 honouring Retry-After, 5xx,
 * connection errors, and only while nothing has been streamed yet), the SSE line cap, and
 * cancellation, which resets the HTTP request so the upstream stops generating.
 *
 * <p>Uses the core HTTP client rather than the web client: a stream needs the status before
 * the body (to retry or fail without reading an error page as events) and a way to abort one
 * request (reset), neither of which the web client offers for streamed bodies.
 *
 * <p>Failures carry a kind only ({@code http_429}, {@code timeout_first_token}...): never the
 * upstream's body, the request, or the key.
 */
public abstract class StreamingHttpProvider {
  private final Vertx vertx;
  private final HttpClient client;
  final HttpProviderOptions options;

  protected StreamingHttpProvider(Vertx vertx, HttpClient client, HttpProviderOptions options) {
    this.vertx = vertx;
    this.client = client;
    this.options = options;
  }

  /** The name bots and {@code ai.provider} select it by; stored in each reply's meta. */
  public abstract String name();

  abstract String url(Endpoint endpoint);

  abstract void headers(Endpoint endpoint, RequestOptions request);

  abstract JsonObject body(ModelCall call);

  /** Reads one event (with {@link StreamEvents#read}); throws {@link DecodeException} for a malformed one. */
  abstract void onEvent(String event, String data, Generation generation);

  public Future<GeneratedReply> generate(ModelCall call, DeltaSink sink, Cancellation cancellation) {
    return new Generation(call, sink, cancellation).start();
  }

  /** One reply being generated; every callback runs on the context that asked for it. */
  final class Generation {
    private final ModelCall call;
    private final DeltaSink sink;
    private final Cancellation cancellation;
    private final Context context = vertx.getOrCreateContext();
    private final Promise<GeneratedReply> result = Promise.promise();
    private final StringBuilder text = new StringBuilder();
    private final long startedNanos = System.nanoTime();
    private Buffer body;
    private int attempts;
    private HttpClientRequest current;
    private long totalTimer = -1;
    /** Fires at or after the silence deadline; pushed back lazily, since every chunk moves the deadline. */
    private long tokenTimer = -1;
    private long tokenTimerDueNanos;
    private long silenceDeadlineNanos;
    private String silenceKind;
    private long retryTimer = -1;
    private long firstTokenMs = -1;
    private String model;
    private String finishReason;
    private Long promptTokens;
    private Long completionTokens;

    Generation(ModelCall call, DeltaSink sink, Cancellation cancellation) {
      this.call = call;
      this.sink = sink;
      this.cancellation = cancellation;
    }

    Future<GeneratedReply> start() {
      if (cancellation.isCancelled()) {
        stopped();
        return result.future();
      }
      try {
        body = body(call).toBuffer();
      } catch (RuntimeException e) {
        return Future.failedFuture(new ProviderFailure("invalid_request", ""));
      }
      totalTimer = vertx.setTimer(options.totalTimeoutMs(), t -> fail("timeout_total"));
      // cancel() may be called from anywhere; the state of this generation is touched on its context only
      cancellation.future().onSuccess(v -> context.runOnContext(ignored -> stopped()));
      send();
      return result.future();
    }

    private boolean done() {
      return result.future().isComplete();
    }

    private void send() {
      if (done()) {
        return;
      }
      int attempt = ++attempts;
      RequestOptions request;
      try {
        request = new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(url(call.endpoint()))
            .setConnectTimeout(options.connectTimeoutMs())
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .putHeader(HttpHeaders.ACCEPT, "text/event-stream");
        headers(call.endpoint(), request);
      } catch (RuntimeException e) {
        fail("invalid_base_url");
        return;
      }
      armTokenTimer(options.firstTokenTimeoutMs(), "timeout_first_token");
      client.request(request).onComplete(opened -> {
        if (opened.failed()) {
          if (attempt == attempts && current == null) {
            lost(opened.cause() instanceof ConnectTimeoutException ? "timeout_connect" : "connection");
          }
          return;
        }
        HttpClientRequest sent = opened.result();
        if (done() || attempt != attempts) {
          sent.reset();
          return;
        }
        current = sent;
        sent.send(body).onComplete(answered -> {
          if (current != sent) {
            return; // we aborted it: what it reports now is our own doing
          }
          if (answered.failed()) {
            lost("connection");
          } else {
            onResponse(sent, answered.result());
          }
        });
      });
    }

    /** Every callback of a request checks it is still the current one: after an abort or a retry it is not. */
    private void onResponse(HttpClientRequest request, HttpClientResponse response) {
      int status = response.statusCode();
      if (status < 200 || status > 299) {
        // the error body is not read: it is of no use to the user and may echo the request
        abortCurrent();
        if (status == 429 || status >= 500) {
          retryOrFail("http_" + status, retryAfterMillis(response.getHeader("Retry-After")));
        } else {
          fail("http_" + status);
        }
        return;
      }
      SseParser parser = new SseParser(options.maxSseLineBytes(), (event, data) -> onEvent(event, data, this));
      response.handler(chunk -> {
        if (current != request) {
          return;
        }
        if (firstTokenMs >= 0) {
          armTokenTimer(options.betweenTokensTimeoutMs(), "timeout_between_tokens");
        }
        read(() -> parser.feed(chunk));
      });
      response.exceptionHandler(failure -> {
        if (current == request) {
          lost("connection");
        }
      });
      response.endHandler(v -> {
        if (current != request) {
          return;
        }
        read(parser::finish);
        if (current != request || done()) {
          return;
        }
        current = null;
        if (finishReason != null) {
          succeed(); // a server that ends without its closing marker but said why it stopped
        } else {
          lost("stream_ended_early");
        }
      });
    }

    private void read(Runnable parse) {
      try {
        parse.run();
      } catch (ProviderFailureSignal signal) {
        fail(signal.kind);
      } catch (DecodeException | ClassCastException | NullPointerException e) {
        fail("malformed_chunk");
      }
    }

    /** A piece of the reply; empty pieces are not passed on, nor anything once a stop was asked for. */
    void delta(String piece) {
      // the stop itself runs a moment later on this context; what arrives meanwhile is not the user's
      if (piece == null || piece.isEmpty() || done() || cancellation.isCancelled()) {
        return;
      }
      if (firstTokenMs < 0) {
        firstTokenMs = elapsedMillis();
      }
      text.append(piece);
      armTokenTimer(options.betweenTokensTimeoutMs(), "timeout_between_tokens");
      sink.delta(piece);
    }

    void model(String name) {
      if (name != null && !name.isBlank()) {
        model = name;
      }
    }

    void finishReason(String reason) {
      if (reason != null && !reason.isBlank()) {
        finishReason = reason;
      }
    }

    void promptTokens(Number tokens) {
      if (tokens != null) {
        promptTokens = tokens.longValue();
      }
    }

    void completionTokens(Number tokens) {
      if (tokens != null) {
        completionTokens = tokens.longValue();
      }
    }

    /** The upstream said the reply is whole. */
    void complete() {
      if (!done()) {
        current = null;
        succeed();
      }
    }

    /** The upstream reported an error inside the stream; {@code transient} ones are retried while nothing was streamed. */
    void upstreamError(boolean transientError) {
      if (done()) {
        return;
      }
      abortCurrent();
      if (transientError && text.length() == 0) {
        retryOrFail("upstream_overloaded", -1);
      } else {
        fail("upstream_error");
      }
    }

    /** The connection broke: before any output it is tried again, after some it fails keeping the text. */
    private void lost(String kind) {
      if (done()) {
        return;
      }
      current = null;
      if (text.length() == 0) {
        retryOrFail(kind, -1);
      } else {
        fail(kind);
      }
    }

    private void retryOrFail(String kind, long retryAfterMs) {
      stopTokenTimer();
      if (attempts > options.retries()) {
        fail(kind);
        return;
      }
      long delay = retryAfterMs >= 0 ? Math.min(retryAfterMs, options.retryMaxMs()) : backoffMillis(attempts);
      retryTimer = vertx.setTimer(Math.max(1, delay), t -> send());
    }

    private long backoffMillis(int failedAttempts) {
      long exponential = options.retryBaseMs() << Math.min(failedAttempts - 1, 20);
      long capped = Math.min(Math.max(exponential, options.retryBaseMs()), options.retryMaxMs());
      // jitter: somewhere in the upper half, so many nodes retrying do not arrive together
      return capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    }

    /**
     * Fails the generation with {@code kind} unless something arrives within {@code millis}.
     * Called for every chunk: rather than cancelling and setting a timer each time (two timer
     * operations per token, thousands a second), it moves a deadline, and the timer, when it
     * fires early, waits out the rest.
     */
    private void armTokenTimer(long millis, String kind) {
      long now = System.nanoTime();
      silenceDeadlineNanos = now + TimeUnit.MILLISECONDS.toNanos(millis);
      silenceKind = kind;
      if (tokenTimer >= 0 && tokenTimerDueNanos > silenceDeadlineNanos) {
        stopTokenTimer(); // due after the new, shorter deadline
      }
      if (tokenTimer < 0) {
        scheduleTokenTimer(now);
      }
    }

    private void scheduleTokenTimer(long now) {
      long delayMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(silenceDeadlineNanos - now + 999_999));
      tokenTimerDueNanos = now + TimeUnit.MILLISECONDS.toNanos(delayMs);
      tokenTimer = vertx.setTimer(delayMs, t -> {
        tokenTimer = -1;
        long at = System.nanoTime();
        if (at - silenceDeadlineNanos >= 0) {
          fail(silenceKind);
        } else {
          scheduleTokenTimer(at);
        }
      });
    }

    private void stopTokenTimer() {
      cancelTimer(tokenTimer);
      tokenTimer = -1;
    }

    private void cancelTimer(long id) {
      if (id >= 0) {
        vertx.cancelTimer(id);
      }
    }

    private void abortCurrent() {
      HttpClientRequest request = current;
      current = null;
      if (request != null) {
        request.reset(); // HTTP/1.1: closes the connection, so the upstream stops generating
      }
    }

    private void cleanUp() {
      cancelTimer(totalTimer);
      stopTokenTimer();
      cancelTimer(retryTimer);
    }

    private void fail(String kind) {
      if (done()) {
        return;
      }
      cleanUp();
      abortCurrent();
      result.tryFail(new ProviderFailure(kind, text.toString()));
    }

    private void stopped() {
      if (done()) {
        return;
      }
      cleanUp();
      abortCurrent();
      finishReason = "stopped";
      result.tryComplete(reply());
    }

    private void succeed() {
      cleanUp();
      if (finishReason == null) {
        finishReason = "stop";
      }
      result.tryComplete(reply());
    }

    private GeneratedReply reply() {
      Map<String, Object> meta = new HashMap<>();
      meta.put("provider", name());
      meta.put("model", model != null ? model : call.model());
      meta.put("finish_reason", finishReason);
      meta.put("attempts", attempts);
      if (promptTokens != null) {
        meta.put("prompt_tokens", promptTokens);
      }
      if (completionTokens != null) {
        meta.put("completion_tokens", completionTokens);
      }
      if (firstTokenMs >= 0) {
        meta.put("first_token_ms", firstTokenMs);
      }
      return new GeneratedReply(text.toString(), meta);
    }

    private long elapsedMillis() {
      return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }

    boolean hasText() {
      return text.length() > 0;
    }
  }

  /** Retry-After in seconds or as an HTTP date; -1 when absent or unreadable. */
  static long retryAfterMillis(String header) {
    if (header == null || header.isBlank()) {
      return -1;
    }
    String value = header.strip();
    try {
      return Math.max(0, (long) (Double.parseDouble(value) * 1000));
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
        return Math.max(0, Duration.between(ZonedDateTime.now(at.getZone()), at).toMillis());
      } catch (RuntimeException notADate) {
        return -1;
      }
    }
  }
}
