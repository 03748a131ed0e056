package chorus.gateway.auth;

/** An authenticated caller: the token's subject, display name and role. */
public record Principal(String userId, String name, String role, TokenSource source) {
  public boolean isAdmin() {
    return "admin".equals(role);
  }
}
