package chorus.ai.provider;

/**
 * Where a model call goes and the key it carries. The key is sent only to this base URL
 * and never printed: {@link #toString()} hides it.
 *
 * @param baseUrl for example {@code https://api.openai.com/v1}, without a trailing slash
 * @param apiKey the key, or "" for a local server that needs none
 */
public record Endpoint(String baseUrl, String apiKey) {
  public Endpoint {
    baseUrl = normalise(baseUrl);
    apiKey = apiKey == null ? "" : apiKey.strip();
  }

  static String normalise(String url) {
    String text = url == null ? "" : url.strip();
    while (text.endsWith("/")) {
      text = text.substring(0, text.length() - 1);
    }
    return text;
  }

  public boolean hasKey() {
    return !apiKey.isEmpty();
  }

  @Override
  public String toString() {
    return "Endpoint[" + baseUrl + (hasKey() ? ", key set" : ", no key") + "]";
  }
}
