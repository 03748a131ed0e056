package chorus.gateway;

import java.util.regex.Pattern;

/** Keeps credentials out of logs: request URIs may carry {@code ?token=} (and later {@code site_token=}). */
public final class LogRedaction {
  private LogRedaction() {}

  private static final Pattern SECRET_PARAM = Pattern.compile("((?:^|[?&])[A-Za-z_]*token=)[^&#]*", Pattern.CASE_INSENSITIVE);

  public static String uri(String uri) {
    return uri == null ? null : SECRET_PARAM.matcher(uri).replaceAll("$1[redacted]");
  }
}
