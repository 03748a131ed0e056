package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.read.ListAppender;
import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What an operator reads: one line per connection open and close naming profile, user and
 * node; no token anywhere in the logs, also when a token is refused; and the shipped
 * config/logback.xml writes one JSON object per line when CHORUS_LOG_FORMAT=json.
 */
class LoggingTest {
  static TestCluster cluster;
  static final ListAppender<ILoggingEvent> captured = new ListAppender<>();

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(2);
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    captured.setContext(root.getLoggerContext());
    captured.start();
    root.addAppender(captured);
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(captured);
    cluster.close();
  }

  @Test
  void connectionsAreLoggedOpenAndClosedWithoutTheirTokens() throws Exception {
    String user = TestCluster.newUserId();
    String token = cluster.token(user);
    String conversationId = cluster.newConversation(token, "Ada", "You are terse.");
    // an expired token and a token with a broken signature are refused: their text must not be logged either
    long anHourAgo = System.currentTimeMillis() / 1000 - 3600;
    String expired = chorus.gateway.auth.JwtKeys.create(cluster.clients(), cluster.config().getJsonObject("jwt"))
        .generateToken(new JsonObject().put("sub", user).put("iat", anHourAgo - 60).put("exp", anHourAgo));
    String forged = token.substring(0, token.lastIndexOf('.') + 1) + "AAAAsignatureAAAA";

    WsClient conversation = cluster.openConversation(0, conversationId, token);
    conversation.userMessage("hello", null);
    conversation.next("message_received");
    WsClient multiplexed = cluster.connect(1, "/ws/auth?token=" + token);
    multiplexed.next("online_users");
    cluster.refusal(0, "/api/v1/conversations/" + conversationId + "/ws?token=" + forged);
    String stranger = cluster.token(TestCluster.newUserId());
    cluster.refusal(0, "/api/v1/conversations/" + conversationId + "/ws?token=" + stranger);
    cluster.refusal(1, "/ws/auth?token=" + expired);
    cluster.get(0, "/api/v1/conversations", forged);
    conversation.close();
    multiplexed.close();

    String node0 = cluster.node(0).nodeId();
    String node1 = cluster.node(1).nodeId();
    Await.until("both sockets' close lines", Duration.ofSeconds(10),
        () -> lines().stream().anyMatch(line -> line.startsWith("ws close profile=conversation user=" + user) && line.contains("node=" + node0))
            && lines().stream().anyMatch(line -> line.startsWith("ws close profile=user user=" + user) && line.contains("node=" + node1)));
    assertTrue(lines().stream().anyMatch(line -> line.startsWith("ws open profile=conversation user=" + user) && line.contains("node=" + node0)),
        String.join("\n", lines()));
    assertTrue(lines().stream().anyMatch(line -> line.startsWith("ws open profile=user user=" + user) && line.contains("node=" + node1)));

    String signature = token.substring(token.lastIndexOf('.') + 1);
    for (ILoggingEvent event : events()) {
      String text = event.getFormattedMessage() + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()));
      for (String secret : List.of(signature, stranger.substring(stranger.lastIndexOf('.')), forged.substring(forged.lastIndexOf('.')), expired, cluster.config().getJsonObject("jwt").getString("secret"))) {
        assertFalse(text.contains(secret), "a log line holds a secret: " + text);
      }
    }
  }

  @Test
  void theShippedConfigWritesOneJsonObjectPerLineWhenAskedTo() throws Exception {
    LoggerContext context = new LoggerContext();
    context.putProperty("CHORUS_LOG_FORMAT", "json");
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure("config/logback.xml");
    @SuppressWarnings("unchecked")
    OutputStreamAppender<ILoggingEvent> json = (OutputStreamAppender<ILoggingEvent>) context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("json");
    assertTrue(json != null && json.isStarted(), "CHORUS_LOG_FORMAT=json selects the json appender");
    assertEquals(null, context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("text"));

    String user = TestCluster.newUserId();
    String token = cluster.token(user);
    cluster.connect(0, "/ws/auth?token=" + token).next("online_users");
    Await.until("the open line", Duration.ofSeconds(5), () -> lines().stream().anyMatch(line -> line.startsWith("ws open profile=user user=" + user)));
    ILoggingEvent open = events().stream().filter(event -> event.getFormattedMessage().startsWith("ws open profile=user user=" + user)).findFirst().orElseThrow();
    String encoded = new String(json.getEncoder().encode(open), StandardCharsets.UTF_8);
    assertEquals(1, encoded.strip().lines().count(), encoded);
    JsonObject line = new JsonObject(encoded.strip());
    assertEquals("INFO", line.getString("level"));
    assertTrue(line.getString("formattedMessage").startsWith("ws open profile=user user=" + user), encoded);
    assertTrue(line.containsKey("loggerName") && line.containsKey("timestamp"), encoded);
    context.stop();
  }

  private static List<ILoggingEvent> events() {
    synchronized (captured) { // AppenderBase appends under the appender's lock
      return List.copyOf(captured.list);
    }
  }

  private static List<String> lines() {
    return events().stream().map(ILoggingEvent::getFormattedMessage).toList();
  }
}
