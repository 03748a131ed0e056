package chorus.persistence;

import chorus.shared.Failures;

/**
 * A request that cannot be answered, with the {@link Failures} code its sender receives.
 * No stack trace: these are expected outcomes (not found, conflict...), not bugs.
 */
final class RequestFailure extends RuntimeException {
  final int code;

  RequestFailure(int code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  static RequestFailure notFound(String message) {
    return new RequestFailure(Failures.NOT_FOUND, message);
  }

  static RequestFailure conflict(String message) {
    return new RequestFailure(Failures.CONFLICT, message);
  }

  static RequestFailure invalid(String message) {
    return new RequestFailure(Failures.INVALID, message);
  }

  /** Rejects a request with a missing field before it reaches the database. */
  static <T> T require(T value, String what) {
    if (value == null) {
      throw invalid(what + " is required");
    }
    return value;
  }
}
