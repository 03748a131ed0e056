import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client of the conversation profile written against the document alone, using only the
 * JDK: create a bot and a conversation over REST, connect with ?token=, send a message,
 * expect message_received then assistant_message. Run: java SmokeClient.java BASE_URL TOKEN
 */
public class SmokeClient {
  public static void main(String[] args) throws Exception {
    String base = args[0];
    String token = args[1];
    HttpClient http = HttpClient.newHttpClient();
    String bot = post(http, base + "/api/v1/bots", token, "{\"name\":\"Smoke\",\"personality\":\"You are a smoke-test bot.\"}");
    String botId = field(bot, "id");
    String conversation = post(http, base + "/api/v1/conversations", token, "{\"bot_id\":\"" + botId + "\",\"title\":\"smoke\"}");
    String conversationId = field(conversation, "id");

    LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
    WebSocket ws = http.newWebSocketBuilder()
        .buildAsync(URI.create(base.replace("http", "ws") + "/api/v1/conversations/" + conversationId + "/ws?token=" + token),
            new WebSocket.Listener() {
              final StringBuilder text = new StringBuilder();

              @Override
              public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                  frames.add(text.toString());
                  text.setLength(0);
                }
                socket.request(1);
                return null;
              }
            })
        .get(10, TimeUnit.SECONDS);
    expect(frames, "connection_ack");
    ws.sendText("{\"type\":\"user_message\",\"content\":\"Hello bot!\",\"message_id\":\"smoke-1\"}", true);
    expect(frames, "message_received");
    String reply = expect(frames, "assistant_message");
    if (!reply.contains("Hello bot!")) {
      throw new AssertionError("the reply does not answer the message: " + reply);
    }
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    System.out.println("smoke: conversation " + conversationId + " answered: " + reply);
  }

  static String post(HttpClient http, String url, String token, String body) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new AssertionError("POST " + url + " -> " + response.statusCode() + " " + response.body());
    }
    return response.body();
  }

  static String expect(LinkedBlockingQueue<String> frames, String type) throws InterruptedException {
    String frame = frames.poll(15, TimeUnit.SECONDS);
    if (frame == null || !type.equals(field(frame, "type"))) {
      throw new AssertionError("expected " + type + ", got " + frame);
    }
    return frame;
  }

  static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
    if (!m.find()) {
      throw new AssertionError("no " + name + " in " + json);
    }
    return m.group(1);
  }
}
