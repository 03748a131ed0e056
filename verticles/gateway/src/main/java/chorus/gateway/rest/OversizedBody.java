package chorus.gateway.rest;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Answers a request whose body is over {@code limits.maxHttpBodyBytes} with 413 so the client
 * actually reads it. Answering while the client is still writing a body nobody reads leaves
 * the client blocked on a full socket (or, if we close, seeing a reset instead of the 413),
 * so the rest of the body is read and thrown away first, up to {@value #DRAIN_FACTOR} times
 * the limit and {@value #DRAIN_TIMEOUT_MS} ms; past either, the connection is closed.
 */
final class OversizedBody {
  static final int DRAIN_FACTOR = 4;
  static final long DRAIN_TIMEOUT_MS = 5_000;

  private OversizedBody() {}

  static void reject(RoutingContext ctx, long bodyLimitBytes) {
    try {
      drainThenRespond(ctx, bodyLimitBytes);
    } catch (IllegalStateException e) {
      // the body was read already (a chunked body caught over the limit as it came): just answer
      respond(ctx);
    }
  }

  private static void drainThenRespond(RoutingContext ctx, long bodyLimitBytes) {
    HttpServerRequest request = ctx.request();
    if (request.isEnded()) {
      respond(ctx);
      return;
    }
    long cap = DRAIN_FACTOR * Math.max(bodyLimitBytes, 1);
    long[] drained = {0};
    long[] timer = {-1};
    // handlers first: when the body was already read they throw, and no timer is left behind
    request.handler(chunk -> {
      drained[0] += chunk.length();
      if (drained[0] > cap) {
        ctx.vertx().cancelTimer(timer[0]);
        request.connection().close();
      }
    });
    request.endHandler(v -> {
      ctx.vertx().cancelTimer(timer[0]);
      respond(ctx);
    });
    timer[0] = ctx.vertx().setTimer(DRAIN_TIMEOUT_MS, t -> request.connection().close());
    request.resume();
  }

  private static void respond(RoutingContext ctx) {
    if (!ctx.response().ended() && !ctx.response().closed()) {
      ctx.response().setStatusCode(413).putHeader("content-type", "application/json").putHeader("connection", "close")
          .end(RestApi.error("BODY_TOO_LARGE", "request body too large").encode());
    }
  }
}
