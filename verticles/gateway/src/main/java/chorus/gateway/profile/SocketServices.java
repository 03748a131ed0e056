package chorus.gateway.profile;

import chorus.gateway.GatewayConfig;
import chorus.gateway.GatewayMeters;
import chorus.gateway.AppendRouting;
import chorus.gateway.PresenceClient;
import chorus.gateway.RetriedRequests;
import chorus.gateway.auth.Authenticator;
import chorus.gateway.feed.ConversationFeeds;
import chorus.gateway.socket.NodeSockets;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;

/**
 * What every wire profile's sockets use, built once per gateway verticle. {@code retried}
 * sends the requests that are safe to repeat (reads), so one sent to a dead node is tried
 * again elsewhere instead of waiting out the request timeout.
 */
public record SocketServices(
    Vertx vertx,
    GatewayConfig config,
    Authenticator authenticator,
    ConversationFeeds feeds,
    PresenceClient presence,
    RetriedRequests retried,
    AppendRouting appends,
    DeliveryOptions requestOptions,
    NodeSockets sockets,
    GatewayMeters meters) {}
