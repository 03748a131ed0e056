package chorus.bench.load;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HS256 JWTs signed with the nodes' development secret (CHORUS_JWT_SECRET), as scripts/token makes them. */
public final class Tokens {

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private final byte[] secret;

  public Tokens(String secret) {
    if (secret == null || secret.isEmpty()) {
      throw new IllegalArgumentException("no JWT secret: set CHORUS_JWT_SECRET (scripts/bench does)");
    }
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
  }

  public String token(String userId, boolean admin) {
    long now = System.currentTimeMillis() / 1000;
    JsonObject header = new JsonObject().put("alg", "HS256").put("typ", "JWT");
    JsonObject claims = new JsonObject().put("sub", userId).put("name", userId).put("role", admin ? "admin" : "user")
        .put("iat", now).put("exp", now + 6 * 3600);
    String signingInput = b64(header.encode()) + "." + b64(claims.encode());
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return signingInput + "." + B64.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64(String json) {
    return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }
}
