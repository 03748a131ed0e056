package chorus.ai.provider;

/** Thrown inside a stream's parsing to end it with a {@link chorus.ai.ProviderFailure} of this kind. */
final class ProviderFailureSignal extends RuntimeException {
  final String kind;

  ProviderFailureSignal(String kind) {
    super(kind, null, false, false);
    this.kind = kind;
  }
}
