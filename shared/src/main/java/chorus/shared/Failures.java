package chorus.shared;

import io.vertx.core.eventbus.ReplyException;

/** Failure codes carried by event-bus replies ({@code message.fail(code, text)}). HTTP-like on purpose. */
public final class Failures {
  private Failures() {}

  public static final int INVALID = 400;
  public static final int FORBIDDEN = 403;
  public static final int NOT_FOUND = 404;
  public static final int CONFLICT = 409;
  /** A referenced thing other than the target (a persona bot) does not exist or may not be used. */
  public static final int UNKNOWN_REFERENCE = 422;
  public static final int UNAVAILABLE = 503;

  /** The failure code of an event-bus failure, or -1 when it was not a reply failure (timeout, no handler...). */
  public static int codeOf(Throwable failure) {
    if (failure instanceof ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE) {
      return re.failureCode();
    }
    return -1;
  }
}
