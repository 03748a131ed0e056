package chorus.ai;

/**
 * Why a provider gave up, in words safe to store and log (never a provider's own message,
 * which may echo the prompt or a request carrying an API key).
 *
 * @param kind what went wrong, for example {@code "timeout_first_token"}, {@code "http_429"}, {@code "line_too_long"}
 * @param partialContent the text streamed before the failure ("" when none); once there is some, nothing is retried
 */
public final class ProviderFailure extends RuntimeException {
  private final String kind;
  private final String partialContent;

  public ProviderFailure(String kind, String partialContent) {
    super(kind, null, false, false);
    this.kind = kind;
    this.partialContent = partialContent == null ? "" : partialContent;
  }

  public String kind() {
    return kind;
  }

  public String partialContent() {
    return partialContent;
  }
}
