package chorus.gateway.auth;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.auth.JWTOptions;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Builds the JWT verifier (and the development signer) from the {@code jwt} config section. */
public final class JwtKeys {
  private JwtKeys() {}

  /** HMAC keys shorter than this are refused: RFC 7518 wants at least the hash size (256 bits for HS256). */
  public static final int MIN_SECRET_BYTES = 32;

  /**
   * @throws IllegalStateException when no key is configured. vertx-auth-jwt with an empty
   *     key set accepts unsigned ({@code alg: none}) tokens, so a node must never start that way.
   */
  public static JWTAuth create(Vertx vertx, JsonObject jwt) {
    String algorithm = jwt.getString("algorithm", "HS256");
    String secret = jwt.getString("secret", "");
    String publicKey = jwt.getString("publicKey", "");
    PubSecKeyOptions key = new PubSecKeyOptions().setAlgorithm(algorithm);
    if (algorithm.startsWith("HS")) {
      if (secret.isEmpty()) {
        throw new IllegalStateException("no JWT key configured: set jwt.secret (CHORUS_JWT_SECRET), or jwt.algorithm and "
            + "jwt.publicKey (CHORUS_JWT_PUBLIC_KEY); refusing to start, an empty key set would accept unsigned tokens");
      }
      if (secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
        throw new IllegalStateException("jwt.secret is shorter than " + MIN_SECRET_BYTES + " bytes; refusing a guessable key");
      }
      key.setBuffer(secret);
    } else {
      if (publicKey.isEmpty()) {
        throw new IllegalStateException("jwt.algorithm " + algorithm + " needs jwt.publicKey (CHORUS_JWT_PUBLIC_KEY, PEM); refusing to start");
      }
      key.setBuffer(publicKey);
    }
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(key).setJWTOptions(verifyOptions(jwt)));
  }

  static JWTOptions verifyOptions(JsonObject jwt) {
    JWTOptions options = new JWTOptions().setAlgorithm(jwt.getString("algorithm", "HS256"));
    String issuer = jwt.getString("issuer", "");
    String audience = jwt.getString("audience", "");
    if (!issuer.isEmpty()) {
      options.setIssuer(issuer);
    }
    if (!audience.isEmpty()) {
      options.setAudience(List.of(audience.split(",")));
    }
    return options;
  }

  /** Signs a development token with the configured HMAC secret (scripts/token). */
  public static String sign(Vertx vertx, JsonObject jwt, JsonObject claims, int ttlSeconds) {
    JWTOptions options = verifyOptions(jwt).setExpiresInSeconds(ttlSeconds);
    return create(vertx, jwt).generateToken(claims, options);
  }
}
