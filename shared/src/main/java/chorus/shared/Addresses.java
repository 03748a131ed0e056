package chorus.shared;

import java.util.UUID;

/**
 * Every event-bus address Chorus uses, in one place. Request/reply addresses are
 * served by whichever node runs the owning role; topics are published to.
 */
public final class Addresses {
  private Addresses() {}

  // persistence role (request/reply)
  public static final String APPEND = "chorus.persistence.append";
  /**
   * Published about every second by each persistence role ({@code PersistenceAlive}), so that
   * gateways send all appends of one conversation to one of them ({@link #appendAt}).
   */
  public static final String PERSISTENCE_ALIVE = "chorus.persistence.alive";
  /**
   * Published (no body) by a gateway that has just started listening for {@link #PERSISTENCE_ALIVE}:
   * every persistence role announces itself at once, so a new gateway does not route by a
   * partial view for up to a second.
   */
  public static final String PERSISTENCE_ALIVE_QUERY = "chorus.persistence.alive.query";
  public static final String CONNECT_CONTEXT = "chorus.persistence.connect-context";
  public static final String HISTORY = "chorus.persistence.history";
  public static final String CREATE_BOT = "chorus.persistence.bot.create";
  public static final String CREATE_CONVERSATION = "chorus.persistence.conversation.create";
  public static final String DATABASE_PING = "chorus.persistence.ping";
  public static final String CLAIM_REPLY_JOB = "chorus.persistence.reply-job.claim";
  public static final String DUE_REPLY_JOBS = "chorus.persistence.reply-job.due";
  public static final String FAIL_REPLY_JOB = "chorus.persistence.reply-job.fail";
  public static final String CHANGE_MEMBERSHIP = "chorus.persistence.membership.change";
  public static final String CO_MEMBERS = "chorus.persistence.membership.co-members";
  /** The members of one conversation (for the conversation profile's presence opt-in). */
  public static final String CONVERSATION_MEMBERS = "chorus.persistence.membership.members";
  public static final String LAST_SEQS = "chorus.persistence.last-seqs";
  public static final String MARK_READ = "chorus.persistence.mark-read";
  public static final String REACT = "chorus.persistence.react";
  public static final String FETCH_ATTACHMENT = "chorus.persistence.attachment.fetch";
  public static final String PUBLISH_KEY = "chorus.persistence.keys.publish";
  public static final String USER_KEYS = "chorus.persistence.keys.get";
  public static final String SEARCH_MESSAGES = "chorus.persistence.search";
  /** When users went offline (their last_seen_at), written by the presence role, read for online_users. */
  public static final String RECORD_LAST_SEEN = "chorus.persistence.last-seen.record";
  public static final String LAST_SEEN = "chorus.persistence.last-seen";
  /** A member archives or unarchives a conversation for themselves; and their listing. */
  public static final String SET_ARCHIVED = "chorus.persistence.archive.set";
  public static final String LIST_CONVERSATIONS = "chorus.persistence.conversation.list";
  /** Are these users all members of the conversation? (call signalling checks every frame) */
  public static final String CHECK_MEMBERS = "chorus.persistence.membership.check";
  public static final String RENEW_REPLY_JOB = "chorus.persistence.reply-job.renew";
  public static final String RELEASE_REPLY_JOB = "chorus.persistence.reply-job.release";
  public static final String RETRY_REPLY_JOB = "chorus.persistence.reply-job.retry";
  /** A conversation with its bot, survey state and messages (the survey profile, GET /api/v1/conversations/{id}). */
  public static final String SURVEY_CONTEXT = "chorus.persistence.survey.context";
  /** Record a survey answer and advance the survey, atomically. */
  public static final String SURVEY_ANSWER = "chorus.persistence.survey.answer";

  // ai role: a reply job is waiting (point to point: one AI verticle takes it)
  public static final String REPLY_JOB_READY = "chorus.ai.reply-job.ready";
  /** Published to every AI verticle: stop a conversation's generation (StopGeneration). */
  public static final String STOP_GENERATION = "chorus.ai.stop";
  /** Published to every AI verticle: the one streaming in a conversation publishes its text so far on the topic. */
  public static final String STREAM_SNAPSHOT = "chorus.ai.stream-snapshot";

  // presence role
  public static final String PRESENCE_SOCKET_OPENED = "chorus.presence.socket-opened";
  public static final String PRESENCE_SOCKET_CLOSED = "chorus.presence.socket-closed";
  public static final String PRESENCE_QUERY = "chorus.presence.query";
  public static final String PRESENCE_VIEWER_JOINED = "chorus.presence.viewer-joined";
  public static final String PRESENCE_VIEWER_LEFT = "chorus.presence.viewer-left";
  /** Per-conversation presence: who is viewing a conversation now. */
  public static final String PRESENCE_VIEWERS = "chorus.presence.viewers";
  /** The cluster-wide per-user message rate limit (a token bucket kept by the presence role). */
  public static final String RATE_LIMIT_TAKE = "chorus.presence.rate-limit";
  /** A user's activity status (active, away, dnd), kept cluster-wide while they are online. */
  public static final String PRESENCE_SET_STATUS = "chorus.presence.set-status";
  /**
   * Published by the presence role when a user goes online (first socket anywhere) or
   * offline (last socket gone, or its node died): one consumer per gateway node.
   */
  public static final String PRESENCE_CHANGES = "chorus.presence.changes";

  private static final String CONVERSATION_TOPIC_PREFIX = "chorus.conversation.";

  /**
   * The topic on which everything that happens in a conversation is published.
   * A gateway node subscribes once per conversation it holds sockets for, never
   * once per socket, so cluster-wide registrations grow with (node, conversation)
   * pairs rather than with sockets.
   */
  /** {@link #APPEND} as served by the persistence role of one node run only. */
  public static String appendAt(String nodeInstance) {
    return APPEND + "@" + nodeInstance;
  }

  public static String conversationTopic(UUID conversationId) {
    return CONVERSATION_TOPIC_PREFIX + conversationId;
  }
}
