package chorus.gateway.profile;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;

/**
 * What a conversation-profile socket opted into on its URL, beyond the seed document's
 * frames: {@code ?typing=true} (typing_indicator frames), {@code ?presence=true}
 * (online_users on connect, presence_update) and {@code ?history=N} (a history frame of the
 * N newest messages after connection_ack). Without them a client sees exactly the frames the
 * document shows. A bad value refuses the connection like a bad {@code last_seq}.
 *
 * @param history how many messages the history frame holds at most (0: no history frame)
 */
record ConversationOptions(boolean typing, boolean presence, int history) {

  static Future<ConversationOptions> parse(HttpServerRequest request, int historyMax) {
    try {
      return Future.succeededFuture(new ConversationOptions(
          flag(request.getParam("typing"), "typing"),
          flag(request.getParam("presence"), "presence"),
          history(request.getParam("history"), historyMax)));
    } catch (ConversationProfile.InvalidParameter e) {
      return Future.failedFuture(e);
    }
  }

  private static boolean flag(String value, String name) {
    if (value == null || value.isEmpty() || value.equals("false")) {
      return false;
    }
    if (value.equals("true")) {
      return true;
    }
    throw new ConversationProfile.InvalidParameter(name + " must be true or false");
  }

  /** A positive integer, capped at limits.connectHistoryMax (the frame's has_more says more exist). */
  private static int history(String value, int max) {
    if (value == null || value.isEmpty()) {
      return 0;
    }
    try {
      long n = Long.parseLong(value);
      if (n < 1) {
        throw new NumberFormatException();
      }
      return (int) Math.min(n, Math.max(max, 0));
    } catch (NumberFormatException e) {
      throw new ConversationProfile.InvalidParameter("history must be a positive integer");
    }
  }
}
