package chorus.gateway.profile;

import chorus.gateway.auth.Principal;
import chorus.gateway.feed.FeedListener;
import chorus.gateway.feed.ReplyStream;
import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.ConnectContext;
import chorus.shared.bus.ConversationMembers;
import chorus.shared.bus.ConversationMembersRequest;
import chorus.shared.bus.HistoryPage;
import chorus.shared.bus.HistoryRequest;
import chorus.shared.bus.MembershipChanged;
import chorus.shared.bus.PresenceChanged;
import chorus.shared.bus.PresenceQuery;
import chorus.shared.bus.PresenceSnapshot;
import chorus.shared.bus.ReplyFailed;
import chorus.shared.bus.TypingChanged;
import chorus.shared.bus.Viewers;
import chorus.shared.bus.ViewersQuery;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * One accepted socket of the conversation profile. User, conversation and bot were loaded
 * once at connect and are cached here. Frames are handled one after another, so a
 * client's messages are stored in the order it sent them.
 */
final class ConversationSocket extends FeedListener {

  private final SocketServices services;
  private final ConversationProfile profile;
  /** ?presence=true: the conversation's members (kept up to date by membership events); null until loaded. */
  private Set<String> members;
  /** Presence changes that arrived before the online_users snapshot was sent: sent after it, in order. */
  private List<PresenceChanged> heldPresence = new ArrayList<>();
  private final ServerWebSocket ws;
  private final Principal user;
  private final ConnectContext context;
  private final UUID conversationId;
  private final String socketId = UUID.randomUUID().toString();
  private final ConversationSeat seat;
  private final MessageSender sender;
  private final ReplyControl replies;
  /** Opted in with ?stream=true: assistant_delta frames before each assistant_message. */
  private final boolean streaming;
  /** Null unless streaming: an idle socket's every byte counts. */
  private final DeltaFrames deltaFrames;
  private final ConversationOptions options;
  private final Typing typing;
  private SocketPlumbing plumbing;
  private final ConnectTimer connectTimer;

  /** @param startSeq the last seq the client already has (resume), at most the conversation's last_seq */
  ConversationSocket(SocketServices services, ConversationProfile profile, ServerWebSocket ws, Principal user, ConnectContext context,
      long startSeq, ConversationOptions options, boolean streaming, ConnectTimer connectTimer) {
    super(startSeq);
    this.services = services;
    this.profile = profile;
    this.ws = ws;
    this.user = user;
    this.context = context;
    this.conversationId = context.conversation().id();
    this.seat = new ConversationSeat(services.presence(), user.userId(), conversationId, socketId);
    this.sender = new MessageSender(services);
    this.replies = new ReplyControl(services);
    this.deltaFrames = streaming ? new DeltaFrames(conversationId) : null;
    this.streaming = streaming;
    this.options = options;
    this.connectTimer = connectTimer;
    this.typing = new Typing(services.vertx(), services.feeds(), services.config().typingTimeoutMs(), user.userId(), socketId);
  }

  void start() {
    // nothing is read until the socket is admitted (per-user and per-conversation limits, cluster-wide)
    plumbing = SocketPlumbing.attach(services, ConversationProfile.NAME, ws, socketId, SocketPlumbing.events(this::handleFrame, this::error,
        "too many messages in flight on this connection; wait for acknowledgements", this::onSocketClosed));
    seat.take(ConversationProfile.NAME, this::refuse, this::accept);
  }

  private void refuse(String code, String reason) {
    ConversationProfile.log.info("ws refused profile={} user={} conversation={} node={} reason={}",
        ConversationProfile.NAME, user.userId(), conversationId, services.config().nodeId(), code);
    error(code, reason);
    ws.close(CloseCodes.POLICY_VIOLATION, reason);
  }

  private void accept() {
    connectTimer.passed(ConnectTimer.SEAT);
    ConversationProfile.log.info("ws open profile={} user={} conversation={} node={} socket={}",
        ConversationProfile.NAME, user.userId(), conversationId, services.config().nodeId(), socketId);
    send(new JsonObject()
        .put("type", "connection_ack")
        .put("conversation_id", conversationId.toString())
        .put("user_id", user.userId())
        .put("last_seq", context.conversation().lastSeq())
        .put("conversation", Frames.conversation(context.conversation()))
        .put("bot", Frames.botSummary(context.bot()))
        .put("user", new JsonObject().put("id", context.user().id()).put("name", context.user().name()))
        .put("timestamp", Frames.now()));
    // the history frame, when asked for, comes before anything else: nothing is read or
    // subscribed until it is sent, and the live stream starts after its newest message
    history().onComplete(ar -> {
      if (plumbing.closed()) {
        return;
      }
      plumbing.resume();
      services.feeds().attach(conversationId, context.conversation().lastSeq(), this).onSuccess(v -> connectTimer.live()).onFailure(e -> {
        error("UNAVAILABLE", "could not subscribe to the conversation; reconnect");
        ws.close(CloseCodes.INTERNAL_ERROR, "subscription failed");
      });
      if (options.presence()) {
        presenceSnapshot();
      }
    });
  }

  /**
   * ?presence=true: the members are loaded (one query), the socket starts receiving
   * presence changes, then gets the snapshot: the members online anywhere and those viewing
   * this conversation (both from the presence role, no query). Changes that arrive before
   * the snapshot is sent follow it, so the client's view ends up current.
   */
  private void presenceSnapshot() {
    services.vertx().eventBus()
        .<ConversationMembers>request(Addresses.CONVERSATION_MEMBERS, new ConversationMembersRequest(conversationId), services.requestOptions())
        .compose(reply -> {
          if (plumbing.closed()) {
            return Future.succeededFuture();
          }
          members = new HashSet<>(reply.body().userIds());
          profile.watchPresence(user.userId(), this);
          List<String> asked = List.copyOf(members);
          Future<PresenceSnapshot> online = services.vertx().eventBus()
              .<PresenceSnapshot>request(Addresses.PRESENCE_QUERY, new PresenceQuery(asked), services.requestOptions()).map(Message::body);
          Future<Viewers> viewers = services.vertx().eventBus()
              .<Viewers>request(Addresses.PRESENCE_VIEWERS, new ViewersQuery(conversationId), services.requestOptions()).map(Message::body);
          return Future.all(online, viewers).map(both -> {
            List<String> onlineUsers = asked.stream().filter(online.result()::isOnline).sorted().toList();
            List<String> viewing = viewers.result().userIds().stream().sorted().toList();
            send(new JsonObject().put("type", "online_users").put("conversation_id", conversationId.toString())
                .put("users", new JsonArray(onlineUsers)).put("viewers", new JsonArray(viewing)).put("timestamp", Frames.now()));
            return null;
          });
        })
        .onFailure(e -> {
          ConversationProfile.log.warn("presence snapshot failed for conversation {}: {}", conversationId, e.toString());
          error("PRESENCE_UNAVAILABLE", "presence is not available right now; reconnect to try again");
        })
        .onComplete(ar -> {
          List<PresenceChanged> held = heldPresence;
          heldPresence = null;
          if (ar.succeeded()) {
            held.forEach(this::presenceChanged);
          } else {
            profile.unwatchPresence(user.userId(), this);
          }
        });
  }

  /** A member of this conversation (not this socket's user) came online or went offline. */
  void presenceChanged(PresenceChanged change) {
    if (heldPresence != null) {
      heldPresence.add(change);
      return;
    }
    if (members != null && members.contains(change.userId()) && !change.userId().equals(user.userId())) {
      send(new JsonObject().put("type", "presence_update").put("conversation_id", conversationId.toString())
          .put("user_id", change.userId()).put("online", change.online()).put("timestamp", Frames.now()));
    }
  }

  /**
   * ?history=N: the N newest messages up to the socket's start (the conversation's last_seq
   * at connect, or the client's last_seq when it resumes), oldest first, in one query. The
   * stream then replays and goes live from seq start + 1: no gap, no duplicate at the seam.
   */
  private Future<Void> history() {
    long start = cursor();
    if (options.history() == 0) {
      return Future.succeededFuture();
    }
    if (start == 0) {
      // an empty conversation (or a resume from 0) has nothing before the start: no query
      send(historyFrame(new JsonArray(), false));
      return Future.succeededFuture();
    }
    return services.retried()
        .<HistoryPage>ask(Addresses.HISTORY, new HistoryRequest(conversationId, null, null, start + 1, options.history()))
        .map(page -> {
          JsonArray messages = new JsonArray();
          page.messages().forEach(m -> messages.add(Frames.message(m)));
          send(historyFrame(messages, page.hasMore()));
          return (Void) null;
        })
        .onFailure(e -> {
          ConversationProfile.log.warn("history on connect failed for conversation {}: {}", conversationId, e.toString());
          error("HISTORY_UNAVAILABLE", "the history could not be loaded; the live stream continues");
        })
        .otherwiseEmpty();
  }

  private JsonObject historyFrame(JsonArray messages, boolean hasMore) {
    return new JsonObject().put("type", "history").put("conversation_id", conversationId.toString())
        .put("messages", messages).put("has_more", hasMore).put("timestamp", Frames.now());
  }

  @Override
  protected void onMessage(StoredMessage message) {
    plumbing.sendEncoded(RENDERED.text(message));
  }

  @Override
  protected void onReplyText(ReplyStream stream, int index, String text, boolean resumed) {
    if (streaming) {
      plumbing.sendEncoded(deltaFrames.encode(stream, index, text, resumed, null));
    }
  }

  @Override
  protected void onConversationEvent(Object event) {
    if (event instanceof ReplyFailed failed) {
      send(ReplyControl.failed(failed));
    } else if (members != null && event instanceof MembershipChanged change && change.member()) {
      members.add(change.userId());
    }
  }

  /** Every socket on the conversation but the typist's own, when this one opted in. */
  @Override
  protected void onTyping(TypingChanged change) {
    if (options.typing() && !socketId.equals(change.socketId())) {
      send(new JsonObject().put("type", "typing_indicator").put("conversation_id", conversationId.toString())
          .put("user_id", change.userId()).put("is_typing", change.typing()).put("timestamp", Frames.now()));
    }
  }

  @Override
  protected void onMemberRemoved(String userId) {
    if (members != null) {
      members.remove(userId);
    }
    if (userId.equals(user.userId())) {
      error("REMOVED_FROM_CONVERSATION", "you are no longer a member of this conversation");
      ws.close(CloseCodes.FORBIDDEN, "removed from conversation");
    }
  }

  /** A message fanned out to this node's conversation-profile sockets is encoded once. */
  private static final EncodedOnce RENDERED = new EncodedOnce(ConversationSocket::render);

  private static JsonObject render(StoredMessage message) {
    String type = message.role() == Role.USER ? "message_received" : "assistant_message";
    return new JsonObject().put("type", type).put("message", Frames.message(message));
  }

  private Future<Void> handleFrame(JsonObject frame) {
    Object type = frame.getValue("type");
    if ("user_message".equals(type)) {
      return userMessage(frame);
    }
    if ("typing_start".equals(type)) {
      typing.start(conversationId);
      return Future.succeededFuture();
    }
    if ("typing_stop".equals(type)) {
      typing.stop(conversationId);
      return Future.succeededFuture();
    }
    if ("stop_generation".equals(type) || "retry".equals(type)) {
      UUID messageId;
      try {
        messageId = ReplyControl.userMessageId(frame);
      } catch (ReplyControl.InvalidId e) {
        error("INVALID_MESSAGE", e.getMessage());
        return Future.succeededFuture();
      }
      if ("stop_generation".equals(type)) {
        replies.stop(conversationId, messageId, user.userId());
        return Future.succeededFuture();
      }
      if (messageId == null) {
        error("INVALID_MESSAGE", "retry needs the message_id of the user message");
        return Future.succeededFuture();
      }
      return replies.retry(conversationId, messageId, user.userId())
          .onFailure(e -> send(e instanceof ReplyControl.Refusal refusal ? refusal.frame : Frames.error("UNAVAILABLE", "try again")))
          .otherwiseEmpty();
    }
    if ("ping".equals(type)) {
      send(new JsonObject().put("type", "pong").put("timestamp", Frames.now()));
      return Future.succeededFuture();
    }
    error("UNKNOWN_TYPE", type instanceof String name ? "unknown message type: " + truncate(name) : "missing message type");
    return Future.succeededFuture();
  }

  private Future<Void> userMessage(JsonObject frame) {
    MessageRules.Problem problem = MessageRules.content(frame.getValue("content"), services.config().maxContentChars());
    if (problem == null) {
      problem = MessageRules.clientMessageId(frame.getValue("message_id"));
    }
    if (problem != null) {
      error(problem.code(), problem.text());
      return Future.succeededFuture();
    }
    typing.stop(conversationId);
    AppendMessage append = AppendMessage.fromUser(conversationId, user.userId(), frame.getString("content"), frame.getString("message_id"));
    return sender.send(append)
        .onSuccess(result -> {
          if (result == null) {
            error("RATE_LIMITED", "too many messages; slow down and send this one again");
            sender.closeIfAbusive(ws);
          } else if (result.duplicate()) {
            // a retry of a stored message: acknowledge it again, to this socket only, and retry its reply if that failed
            send(render(result.message()));
            replies.retryQuietly(conversationId, result.message().id(), user.userId());
          }
        })
        .onFailure(e -> {
          if (Failures.codeOf(e) == Failures.NOT_FOUND) {
            error("NOT_FOUND", "conversation not found");
          } else {
            ConversationProfile.log.warn("append failed on conversation {}: {}", conversationId, e.toString());
            error("MESSAGE_ERROR", "the message could not be stored; send it again with the same message_id");
          }
        })
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** After the shared clean-up of {@link SocketPlumbing}. */
  private void onSocketClosed() {
    typing.stopAll();
    profile.unwatchPresence(user.userId(), this);
    services.feeds().detach(conversationId, this);
    seat.release();
    ConversationProfile.log.info("ws close profile={} user={} conversation={} node={} socket={} code={}",
        ConversationProfile.NAME, user.userId(), conversationId, services.config().nodeId(), socketId, ws.closeStatusCode());
  }

  private void error(String code, String text) {
    services.meters().errorFrame(ConversationProfile.NAME, code);
    send(Frames.error(code, text));
  }

  private void send(JsonObject frame) {
    plumbing.send(frame);
  }

  private static String truncate(String value) {
    return value.length() > 64 ? value.substring(0, 64) + "..." : value;
  }
}
