package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** The REST calls that set a benchmark up: bots, conversations, members (as a real client would). */
public final class ChorusRest {

  private final HttpClient http;
  private final String host;
  private final int port;
  private final Tokens tokens;

  public ChorusRest(Vertx vertx, String host, int port, Tokens tokens) {
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(16));
    this.host = host;
    this.port = port;
    this.tokens = tokens;
  }

  public Future<JsonObject> call(HttpMethod method, String path, String userId, JsonObject body) {
    RequestOptions options = new RequestOptions().setMethod(method).setHost(host).setPort(port).setURI(path)
        .putHeader("Authorization", "Bearer " + tokens.token(userId, false))
        .putHeader("Content-Type", "application/json");
    return http.request(options)
        .compose(req -> body == null ? req.send() : req.send(body.toBuffer()))
        .compose(resp -> resp.body().compose(buf -> {
          if (resp.statusCode() >= 300) {
            return Future.failedFuture(method + " " + path + " -> " + resp.statusCode() + " " + buf);
          }
          return Future.succeededFuture(buf.length() == 0 ? new JsonObject() : buf.toJsonObject());
        }));
  }

  /** A bot of the user's, answered by the configured provider. */
  public Future<String> createBot(String userId) {
    return call(HttpMethod.POST, "/api/v1/bots", userId,
        new JsonObject().put("name", "Bench").put("personality", "You are a benchmark bot."))
        .map(bot -> bot.getString("id"));
  }

  public Future<String> createConversation(String userId, String botId) {
    return call(HttpMethod.POST, "/api/v1/conversations", userId,
        new JsonObject().put("bot_id", botId).put("title", "bench"))
        .map(c -> c.getString("id"));
  }

  /** One conversation owned by {@code owner} with every one of {@code members} added. */
  public Future<String> conversationWithMembers(String owner, List<String> members) {
    return createBot(owner).compose(bot -> createConversation(owner, bot)).compose(conv -> {
      List<Future<JsonObject>> adds = new ArrayList<>();
      for (String member : members) {
        if (!member.equals(owner)) {
          adds.add(call(HttpMethod.POST, "/api/v1/conversations/" + conv + "/members", owner, new JsonObject().put("user_id", member)));
        }
      }
      return Future.all(adds).map(conv);
    });
  }

  public Future<Void> close() {
    return http.close();
  }
}
