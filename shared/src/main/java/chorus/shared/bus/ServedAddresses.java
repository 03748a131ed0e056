package chorus.shared.bus;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The request/reply addresses one verticle serves ({@link RequestHandlers#serve}), and a
 * clean stop for them that loses no request: {@link #close} unregisters every address first,
 * so the cluster routes new requests to the other verticles of the role, then waits for the
 * requests being served to be answered. Used on the owning verticle's context only.
 */
public final class ServedAddresses {
  private final Vertx vertx;
  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();
  private int inFlight;
  private Promise<Void> idle;
  private boolean closing;

  public ServedAddresses(Vertx vertx) {
    this.vertx = vertx;
  }

  /** As {@link RequestHandlers#serve}; the request counts as in flight until its future completes. */
  public <T, R> Future<Void> serve(String address, Class<T> type, Function<T, Future<R>> handler, BiConsumer<Message<?>, Throwable> onFailure) {
    MessageConsumer<Object> consumer = RequestHandlers.consumer(vertx.eventBus(), address, type, request -> counted(handler.apply(request)), onFailure);
    consumers.add(consumer);
    return consumer.completion();
  }

  /** False once {@link #close} was called: the addresses are going or gone. */
  public boolean isOpen() {
    return !closing;
  }

  /** Requests being served now. */
  public int inFlight() {
    return inFlight;
  }

  /**
   * Unregisters every address, then completes once no request is being served, or after
   * {@code waitMs} (a caller has given up on its request by then: the event-bus request timeout).
   */
  public Future<Void> close(long waitMs) {
    closing = true;
    List<Future<Void>> unregistered = consumers.stream().map(consumer -> consumer.unregister().otherwiseEmpty()).toList();
    return Future.join(unregistered).transform(ignored -> {
      if (inFlight == 0) {
        return Future.succeededFuture();
      }
      idle = Promise.promise();
      long timer = vertx.setTimer(waitMs, t -> idle.tryComplete());
      return idle.future().onComplete(ar -> vertx.cancelTimer(timer));
    });
  }

  private <R> Future<R> counted(Future<R> result) {
    inFlight++;
    return result.onComplete(ar -> {
      inFlight--;
      if (inFlight == 0 && idle != null) {
        idle.tryComplete();
      }
    });
  }
}
