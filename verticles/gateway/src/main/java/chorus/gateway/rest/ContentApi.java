package chorus.gateway.rest;

import chorus.gateway.ContentConfig;
import chorus.gateway.GatewayConfig;
import chorus.gateway.auth.Authenticator;
import chorus.gateway.profile.MessageSearch;
import chorus.shared.Addresses;
import chorus.shared.bus.AttachmentFile;
import chorus.shared.bus.FetchAttachment;
import chorus.shared.bus.PublishKey;
import chorus.shared.bus.UserKeys;
import chorus.shared.bus.UserKeysRequest;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * REST for attachments, the public-key directory and search:
 * {@code GET /api/v1/attachments/{id}}, {@code PUT /api/v1/users/me/keys},
 * {@code GET /api/v1/users/{id}/keys}, {@code GET /api/v1/search?q=}.
 */
final class ContentApi {
  private static final int MAX_KEY_ID_CHARS = 128;

  private final Vertx vertx;
  private final ContentConfig limits;
  private final Authenticator authenticator;
  private final DeliveryOptions requestOptions;
  private final MessageSearch search;

  ContentApi(Vertx vertx, GatewayConfig config, Authenticator authenticator, DeliveryOptions requestOptions) {
    this.vertx = vertx;
    this.limits = config.content();
    this.authenticator = authenticator;
    this.requestOptions = requestOptions;
    this.search = new MessageSearch(vertx, limits, requestOptions);
  }

  void mount(Router router, Handler<RoutingContext> body) {
    router.get("/api/v1/attachments/:id").handler(this::download);
    router.put("/api/v1/users/me/keys").handler(body).handler(this::publishKey);
    router.get("/api/v1/users/:id/keys").handler(this::keys);
    router.get("/api/v1/search").handler(this::search);
  }

  /** The file, for a member of its conversation: 404 when there is none, 403 for anyone else. */
  private void download(RoutingContext ctx) {
    authenticator.authenticate(ctx.request()).compose(user -> {
      FetchAttachment request = new FetchAttachment(RestApi.uuidOrNotFound(ctx.pathParam("id")), user.userId());
      return vertx.eventBus().<AttachmentFile>request(Addresses.FETCH_ATTACHMENT, request, requestOptions).map(Message::body);
    }).onSuccess(file -> ctx.response().setStatusCode(200)
        .putHeader("content-type", file.contentType())
        .putHeader("content-disposition", contentDisposition(file.fileName()))
        // the browser must not second-guess the type (an uploaded "text/plain" that is really HTML)
        .putHeader("x-content-type-options", "nosniff")
        .putHeader("cache-control", "private, no-store")
        .end(Buffer.buffer(file.data())))
        .onFailure(e -> RestApi.fail(ctx, e));
  }

  /** {@code attachment}, an ASCII fallback name, and the exact name per RFC 6266 / 5987. */
  static String contentDisposition(String fileName) {
    String ascii = fileName.replaceAll("[^\\x20-\\x7e]|[\"\\\\]", "_");
    String encoded = URLEncoder.encode(fileName, StandardCharsets.UTF_8).replace("+", "%20");
    return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
  }

  /** Publishes (or replaces, by key_id) one public key of the caller. 200 with the key. */
  private void publishKey(RoutingContext ctx) {
    authenticator.authenticate(ctx.request()).compose(user -> {
      JsonObject body = RestApi.jsonBody(ctx);
      String keyId = RestApi.requiredString(body, "key_id", MAX_KEY_ID_CHARS);
      String algorithm = RestApi.requiredString(body, "algorithm", 64);
      if (!limits.keyAlgorithms().contains(algorithm.toLowerCase(java.util.Locale.ROOT))) {
        throw new RestApi.BadRequest("UNSUPPORTED_ALGORITHM", "algorithm must be one of " + limits.keyAlgorithms());
      }
      String publicKey = RestApi.requiredString(body, "public_key", limits.maxPublicKeyChars());
      PublishKey command = new PublishKey(user.userId(), user.name(), keyId, algorithm, publicKey, limits.maxKeysPerUser());
      return vertx.eventBus().<UserKeys>request(Addresses.PUBLISH_KEY, command, requestOptions).map(Message::body);
    }).onSuccess(keys -> RestApi.reply(ctx, 200, keysJson(keys))).onFailure(e -> {
      if (chorus.shared.Failures.codeOf(e) == chorus.shared.Failures.CONFLICT) {
        RestApi.reply(ctx, 409, RestApi.error("TOO_MANY_KEYS", e.getMessage()));
      } else {
        RestApi.fail(ctx, e);
      }
    });
  }

  /** A user's public keys: for themself and users sharing a conversation with them; 404 for anyone else. */
  private void keys(RoutingContext ctx) {
    authenticator.authenticate(ctx.request()).compose(user -> {
      String target = "me".equals(ctx.pathParam("id")) ? user.userId() : ctx.pathParam("id");
      return vertx.eventBus().<UserKeys>request(Addresses.USER_KEYS, new UserKeysRequest(user.userId(), target), requestOptions)
          .map(Message::body);
    }).onSuccess(keys -> RestApi.reply(ctx, 200, keysJson(keys))).onFailure(e -> RestApi.fail(ctx, e));
  }

  private void search(RoutingContext ctx) {
    authenticator.authenticate(ctx.request())
        .compose(user -> search.search(user.userId(), ctx.request().getParam("q"), ctx.request().getParam("conversation_id"),
            ctx.request().getParam("limit"), ctx.request().getParam("before")))
        .onSuccess(results -> RestApi.reply(ctx, 200, results))
        .onFailure(e -> RestApi.fail(ctx, e instanceof MessageSearch.Refused refused ? new RestApi.BadRequest(refused.code, refused.getMessage()) : e));
  }

  private static JsonObject keysJson(UserKeys keys) {
    JsonArray list = new JsonArray();
    keys.keys().forEach(key -> list.add(new JsonObject().put("key_id", key.keyId()).put("algorithm", key.algorithm())
        .put("public_key", key.publicKey()).put("created_at", key.createdAt().toString()).put("updated_at", key.updatedAt().toString())));
    return new JsonObject().put("user_id", keys.userId()).put("keys", list);
  }
}
