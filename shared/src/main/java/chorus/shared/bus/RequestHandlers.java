package chorus.shared.bus;

import chorus.shared.Failures;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.function.BiConsumer;
import java.util.function.Function;

/** How a role serves a request/reply address: typed body in, record reply out, failures mapped by the role. */
public final class RequestHandlers {
  private RequestHandlers() {}

  /**
   * Registers the handler; the future completes when the registration has reached the
   * cluster. A body of the wrong type is answered INVALID; a handler that throws counts as
   * a failed future; {@code onFailure} answers failures with the role's own codes.
   */
  public static <T, R> Future<Void> serve(EventBus eventBus, String address, Class<T> type, Function<T, Future<R>> handler,
      BiConsumer<Message<?>, Throwable> onFailure) {
    return consumer(eventBus, address, type, handler, onFailure).completion();
  }

  /** As {@link #serve}, returning the consumer, for a role that unregisters its addresses itself before it stops. */
  public static <T, R> MessageConsumer<Object> consumer(EventBus eventBus, String address, Class<T> type, Function<T, Future<R>> handler,
      BiConsumer<Message<?>, Throwable> onFailure) {
    return eventBus.<Object>consumer(address, message -> {
      Object body = message.body();
      if (!type.isInstance(body)) {
        message.fail(Failures.INVALID, "expected a " + type.getSimpleName());
        return;
      }
      Future<R> result;
      try {
        result = handler.apply(type.cast(body));
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.onSuccess(message::reply).onFailure(failure -> onFailure.accept(message, failure));
    });
  }
}
