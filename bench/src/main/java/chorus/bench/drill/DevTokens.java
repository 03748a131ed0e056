package chorus.bench.drill;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Signs the drill's users' tokens in-process, as {@code chorus-node.jar token} does (same
 * claims: sub, name, role), with the HMAC key the nodes use: CHORUS_JWT_SECRET, else the
 * checkout's development key file. One JVM start for many users instead of one each.
 */
final class DevTokens {
  private final JWTAuth signer;
  private final JWTOptions options;

  DevTokens(Vertx vertx, String secret, int ttlSeconds) {
    if (secret == null || secret.isBlank()) {
      throw new IllegalStateException("no JWT key: set CHORUS_JWT_SECRET or pass --jwt-secret-file (scripts: .chorus/dev-jwt-secret)");
    }
    this.signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    this.options = new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(ttlSeconds);
    String issuer = System.getenv("CHORUS_JWT_ISSUER");
    String audience = System.getenv("CHORUS_JWT_AUDIENCE");
    if (issuer != null && !issuer.isEmpty()) {
      options.setIssuer(issuer);
    }
    if (audience != null && !audience.isEmpty()) {
      options.setAudience(List.of(audience.split(",")));
    }
  }

  /** The key from the environment, else from the file (never printed). */
  static String secret(Path file) throws IOException {
    String fromEnvironment = System.getenv("CHORUS_JWT_SECRET");
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      return fromEnvironment;
    }
    return Files.isReadable(file) ? Files.readString(file, StandardCharsets.UTF_8).trim() : null;
  }

  String token(String userId, boolean admin) {
    return signer.generateToken(new JsonObject().put("sub", userId).put("name", userId).put("role", admin ? "admin" : "user"), options);
  }
}
