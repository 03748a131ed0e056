package chorus.gateway.profile;

import chorus.gateway.GatewayConfig;
import chorus.gateway.GatewayMeters;
import chorus.gateway.PresenceClient;
import chorus.gateway.auth.Authenticator;
import chorus.gateway.feed.ConversationFeeds;
import chorus.gateway.socket.NodeSockets;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;

/** What every wire profile's sockets use, built once per gateway verticle. */
public record SocketServices(
    Vertx vertx,
    GatewayConfig config,
    Authenticator authenticator,
    ConversationFeeds feeds,
    PresenceClient presence,
    DeliveryOptions requestOptions,
    NodeSockets sockets,
    GatewayMeters meters) {}
