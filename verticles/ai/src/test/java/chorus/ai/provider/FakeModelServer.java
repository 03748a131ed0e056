package chorus.ai.provider;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * A real HTTP server standing in for a paid model API: each request is answered by the next
 * scripted responder, which speaks the provider's real streaming protocol over the socket.
 * It records what it was sent and sees when the client closes a connection.
 */
final class FakeModelServer {
  /** One request as received. */
  record Received(String path, Map<String, String> headers, JsonObject body, long atNanos, Future<Void> connectionClosed) {}

  private final Vertx vertx;
  private final HttpServer server;
  private final Deque<BiConsumer<HttpServerRequest, HttpServerResponse>> script = new ArrayDeque<>();
  final List<Received> received = new CopyOnWriteArrayList<>();

  FakeModelServer(Vertx vertx) throws Exception {
    this.vertx = vertx;
    this.server = vertx.createHttpServer().requestHandler(this::handle).listen(0).await(10, TimeUnit.SECONDS);
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  synchronized void then(BiConsumer<HttpServerRequest, HttpServerResponse> responder) {
    script.add(responder);
  }

  synchronized void reset() {
    script.clear();
    received.clear();
  }

  private void handle(HttpServerRequest request) {
    Promise<Void> closed = Promise.promise();
    request.connection().closeHandler(v -> closed.tryComplete());
    request.body().onSuccess(body -> {
      Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      request.headers().forEach(h -> headers.put(h.getKey(), h.getValue()));
      received.add(new Received(request.path(), headers, body.length() == 0 ? new JsonObject() : body.toJsonObject(),
          System.nanoTime(), closed.future()));
      BiConsumer<HttpServerRequest, HttpServerResponse> responder;
      synchronized (this) {
        responder = script.poll();
      }
      if (responder == null) {
        request.response().setStatusCode(599).end();
      } else {
        responder.accept(request, request.response());
      }
    });
  }

  // ---- responders speaking the streaming protocols

  static HttpServerResponse startStream(HttpServerResponse response) {
    return response.setStatusCode(200).setChunked(true).putHeader("content-type", "text/event-stream");
  }

  /** Each event written on its own, then the end of the body. */
  static BiConsumer<HttpServerRequest, HttpServerResponse> stream(String... events) {
    return (request, response) -> {
      startStream(response);
      for (String event : events) {
        response.write(event);
      }
      response.end();
    };
  }

  static BiConsumer<HttpServerRequest, HttpServerResponse> status(int code, String... headerPairs) {
    return (request, response) -> {
      for (int i = 0; i + 1 < headerPairs.length; i += 2) {
        response.putHeader(headerPairs[i], headerPairs[i + 1]);
      }
      response.setStatusCode(code).putHeader("content-type", "application/json")
          .end(new JsonObject().put("error", new JsonObject().put("message", "scripted " + code)).encode());
    };
  }

  /** The given events, then the connection held open and silent. */
  static BiConsumer<HttpServerRequest, HttpServerResponse> stall(String... events) {
    return (request, response) -> {
      startStream(response);
      for (String event : events) {
        response.write(event);
      }
    };
  }

  /** The given events, then the TCP connection dropped mid-body. */
  static BiConsumer<HttpServerRequest, HttpServerResponse> drop(String... events) {
    return (request, response) -> {
      startStream(response);
      Future<Void> written = Future.succeededFuture();
      for (String event : events) {
        written = response.write(event);
      }
      written.onComplete(v -> request.connection().close());
    };
  }

  /** One event from {@code event} every {@code periodMs}, for as long as the client keeps the connection. */
  BiConsumer<HttpServerRequest, HttpServerResponse> endless(long periodMs, java.util.function.IntFunction<String> event) {
    return (request, response) -> {
      startStream(response);
      int[] sent = {0};
      vertx.setPeriodic(periodMs, t -> {
        if (response.closed() || response.ended()) {
          vertx.cancelTimer(t);
        } else {
          response.write(event.apply(sent[0]++));
        }
      });
    };
  }

  static Buffer bytes(String text) {
    return Buffer.buffer(text);
  }

  void close() throws Exception {
    server.close().await(10, TimeUnit.SECONDS);
  }
}
