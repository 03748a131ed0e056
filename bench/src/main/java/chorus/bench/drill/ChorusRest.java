package chorus.bench.drill;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

/** The REST calls the drill's set-up needs (docs/protocol/conversation.md, user.md), through the load balancer. */
final class ChorusRest {
  private final HttpClient http;
  private final String host;
  private final int port;

  ChorusRest(Vertx vertx, String host, int port) {
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(4));
    this.host = host;
    this.port = port;
  }

  Future<String> createBot(String token, String name, String personality) {
    return post(token, "/api/v1/bots", new JsonObject().put("name", name).put("personality", personality).put("public", true), 201)
        .map(bot -> bot.getString("id"));
  }

  Future<String> createConversation(String token, String botId, String title) {
    return post(token, "/api/v1/conversations", new JsonObject().put("bot_id", botId).put("title", title), 201)
        .map(conversation -> conversation.getString("id"));
  }

  Future<Void> addMember(String token, String conversationId, String userId) {
    return post(token, "/api/v1/conversations/" + conversationId + "/members", new JsonObject().put("user_id", userId), 201).mapEmpty();
  }

  /** A node being restarted behind the balancer may refuse a call: each one is tried a few times. */
  private Future<JsonObject> post(String token, String path, JsonObject body, int expected) {
    return attempt(token, path, body, expected, 5);
  }

  private Future<JsonObject> attempt(String token, String path, JsonObject body, int expected, int left) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(host).setPort(port).setURI(path)
        .putHeader("Authorization", "Bearer " + token).putHeader("Content-Type", "application/json").setTimeout(10_000);
    Future<JsonObject> call = http.request(options)
        .compose(request -> request.send(body.toBuffer()))
        .compose(response -> response.body().compose(buffer -> response.statusCode() == expected
            ? Future.succeededFuture(buffer.toJsonObject())
            : Future.failedFuture(new IllegalStateException("POST " + path + " -> " + response.statusCode() + " " + buffer))));
    if (left <= 1) {
      return call;
    }
    return call.recover(e -> Future.<Void>future(p -> Vertx.currentContext().owner().setTimer(500, t -> p.complete()))
        .compose(v -> attempt(token, path, body, expected, left - 1)));
  }
}
