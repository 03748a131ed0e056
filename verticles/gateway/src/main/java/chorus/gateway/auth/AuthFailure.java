package chorus.gateway.auth;

/** Why a caller was refused; {@code forbidden} distinguishes a refused Origin from a missing or bad token. */
public final class AuthFailure extends RuntimeException {
  private final String code;
  private final boolean forbidden;

  public AuthFailure(String code, String message, boolean forbidden) {
    super(message, null, false, false);
    this.code = code;
    this.forbidden = forbidden;
  }

  public String code() {
    return code;
  }

  public boolean forbidden() {
    return forbidden;
  }
}
