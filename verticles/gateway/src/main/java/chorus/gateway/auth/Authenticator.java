package chorus.gateway.auth;

import io.vertx.core.Future;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import java.util.Set;

/**
 * Authenticates an HTTP request or WebSocket upgrade from a JWT in the Authorization
 * header, the {@code token} query parameter or the auth cookie (in that order).
 * Signature and {@code exp} are always checked, {@code iss}/{@code aud} when configured.
 */
public final class Authenticator {
  private final JWTAuth jwt;
  private final String cookieName;
  private final Set<String> allowedOrigins;

  public Authenticator(JWTAuth jwt, String cookieName, Set<String> allowedOrigins) {
    this.jwt = jwt;
    this.cookieName = cookieName;
    this.allowedOrigins = allowedOrigins;
  }

  public Future<Principal> authenticate(HttpServerRequest request) {
    String token;
    TokenSource source;
    String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
    Cookie cookie = request.getCookie(cookieName);
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = authorization.substring(7).trim();
      source = TokenSource.HEADER;
    } else if (request.getParam("token") != null) {
      token = request.getParam("token");
      source = TokenSource.QUERY;
    } else if (cookie != null) {
      token = cookie.getValue();
      source = TokenSource.COOKIE;
    } else {
      return Future.failedFuture(new AuthFailure("AUTH_REQUIRED", "authentication required: send a token", false));
    }
    if (source == TokenSource.COOKIE) {
      // Cross-site WebSocket hijacking: a browser attaches the cookie to a socket opened
      // by any page, and says which page in Origin. Non-browser clients send no Origin.
      String origin = request.getHeader(HttpHeaders.ORIGIN);
      if (origin != null && !allowedOrigins.contains(origin)) {
        return Future.failedFuture(new AuthFailure("ORIGIN_NOT_ALLOWED", "origin not allowed for cookie authentication", true));
      }
    }
    return verify(token, source);
  }

  Future<Principal> verify(String token, TokenSource source) {
    if (token.isEmpty()) {
      return Future.failedFuture(new AuthFailure("AUTH_FAILED", "invalid token", false));
    }
    return jwt.authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture(new AuthFailure("AUTH_FAILED", "invalid or expired token", false)))
        .compose(user -> {
          // vertx-auth-jwt keeps the decoded claims in the user's attributes, the raw token in its principal
          JsonObject claims = user.attributes().getJsonObject("accessToken", new JsonObject());
          // vertx-auth-jwt accepts a token without exp; a token that never expires is refused here
          if (!(claims.getValue("exp") instanceof Number)) {
            return Future.failedFuture(new AuthFailure("AUTH_FAILED", "token has no expiry (exp)", false));
          }
          String subject = stringClaim(claims, "sub");
          if (subject == null || subject.isBlank() || subject.length() > 200) {
            return Future.failedFuture(new AuthFailure("AUTH_FAILED", "token has no valid subject (sub)", false));
          }
          String role = Boolean.TRUE.equals(claims.getValue("admin")) ? "admin" : orElse(stringClaim(claims, "role"), "user");
          return Future.succeededFuture(new Principal(subject, orElse(stringClaim(claims, "name"), subject), role, source));
        });
  }

  private static String stringClaim(JsonObject claims, String name) {
    return claims.getValue(name) instanceof String value ? value : null;
  }

  private static String orElse(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
  }
}
