package chorus.persistence;

import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.AppendResult;
import chorus.shared.bus.ArchiveState;
import chorus.shared.bus.ChangeMembership;
import chorus.shared.bus.CheckMembers;
import chorus.shared.bus.ClaimReplyJob;
import chorus.shared.bus.CoMembersRequest;
import chorus.shared.bus.ConnectContextRequest;
import chorus.shared.bus.CreateBot;
import chorus.shared.bus.CreateConversation;
import chorus.shared.bus.DueReplyJobs;
import chorus.shared.bus.FailReplyJob;
import chorus.shared.bus.FetchAttachment;
import chorus.shared.bus.HistoryRequest;
import chorus.shared.bus.LastSeenQuery;
import chorus.shared.bus.LastSeqsRequest;
import chorus.shared.bus.ListConversations;
import chorus.shared.bus.MarkRead;
import chorus.shared.bus.PersistenceAlive;
import chorus.shared.bus.MembershipChanged;
import chorus.shared.bus.MessageAppended;
import chorus.shared.bus.PayloadCodecs;
import chorus.shared.bus.Ping;
import chorus.shared.bus.PublishKey;
import chorus.shared.bus.React;
import chorus.shared.bus.ReactionChanged;
import chorus.shared.bus.ReadReceipt;
import chorus.shared.bus.RecordLastSeen;
import chorus.shared.bus.ReleaseReplyJob;
import chorus.shared.bus.RenewReplyJob;
import chorus.shared.bus.ReplyJobReady;
import chorus.shared.bus.RetryReplyJob;
import chorus.shared.bus.SearchMessages;
import chorus.shared.bus.ServedAddresses;
import chorus.shared.bus.SetArchived;
import chorus.shared.bus.SurveyAnswer;
import chorus.shared.bus.SurveyAnswerResult;
import chorus.shared.bus.SurveyContextRequest;
import chorus.shared.bus.UserKeysRequest;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import chorus.shared.metrics.MeterNames;
import chorus.shared.metrics.NodeMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.DatabaseException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persistence role: owns the PostgreSQL pool and the schema, and answers the
 * request/reply addresses of {@link Addresses} (append, history, connect context, set-up,
 * reply jobs). Every request is one SQL statement (a key publish excepted: a short
 * transaction, see ContentStore); a reply is only sent after its commit.
 */
public class PersistenceVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(PersistenceVerticle.class);

  /**
   * Statements in flight on one connection. The pool lends a connection per statement,
   * so this only matters for a borrowed connection; kept small so one connection's
   * backlog never hides a slow statement behind hundreds of others.
   */
  private static final int PIPELINING_LIMIT = 16;
  /** How often a persistence role says it is up (gateways forget one after three missed). */
  static final long ALIVE_INTERVAL_MS = 1000;
  /** Longer than any statement in Sql (APPEND, the longest, is under 5,000 characters). */
  private static final int PREPARED_SQL_LIMIT = 65_536;

  private PersistenceConfig config;
  private Pool pool;
  private Pool appendPool;
  private MessageStore messages;
  private ConversationStore conversations;
  private ReplyJobStore replyJobs;
  private ContentStore content;
  private SurveyStore surveys;

  private final NodeMetrics metrics;
  /** Every address this verticle serves: unregistered first when it stops, then the requests in flight are answered. */
  private ServedAddresses served;
  private Timer appendLatency;
  private AppendBatcher appends;
  /** One counter per role, looked up once: an append is the hot path. */
  private final Map<Role, Counter> persistedByRole = new EnumMap<>(Role.class);

  /** On its own (module tests): meters are kept but nobody scrapes them. */
  public PersistenceVerticle() {
    this(NodeMetrics.unscraped());
  }

  public PersistenceVerticle(NodeMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    PayloadCodecs.install(vertx);
    config = PersistenceConfig.from(config());
    served = new ServedAddresses(vertx);
    appendLatency = Timer.builder(MeterNames.APPEND_LATENCY).description("append request received to committed")
        .publishPercentileHistogram().register(metrics.registry());
    for (Role role : Role.values()) {
      persistedByRole.put(role, metrics.registry().counter(MeterNames.MESSAGES_PERSISTED, "role", role.wire()));
    }
    Future<?> migrated = config.migrate()
        ? vertx.executeBlocking(() -> Migrations.migrate(config))
            .onSuccess(result -> log.info("schema at version {} ({} migrations applied)",
                result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion,
                result.migrationsExecuted))
        : Future.succeededFuture();
    return migrated.compose(done -> {
      pool = PgBuilder.pool()
          .with(new PoolOptions().setMaxSize(config.poolSize()))
          .connectingTo(preparedOnce(config.connectOptions()))
          .using(vertx)
          .build();
      // appends have connections of their own, on which PostgreSQL plans the APPEND statement
      // once (a generic plan) instead of again for every message: measured, planning it each
      // time cost three times its execution and capped a node's messages per second.
      // A generic plan is made from the statistics of its first execution and then kept for
      // the connection's life; made on a new (empty) database it hashed whole tables (every
      // message, to check a batch's client ids) and each append grew slower with the table.
      // An append touches a few rows by key, at any size of the data, so its connections
      // plan with index lookups only, and are replaced every pg.appendPlanLifetimeMs so that
      // their plans are made again from the data as it is (which index is the key's depends
      // on the statistics too).
      appendPool = PgBuilder.pool()
          .with(new PoolOptions().setMaxSize(config.appendConnections())
              .setMaxLifetime(config.appendPlanLifetimeMs()).setMaxLifetimeUnit(TimeUnit.MILLISECONDS))
          .connectingTo(preparedOnce(config.connectOptions())
              .addProperty("plan_cache_mode", "force_generic_plan")
              .addProperty("enable_seqscan", "off")
              .addProperty("enable_hashjoin", "off")
              .addProperty("enable_mergejoin", "off"))
          .using(vertx)
          .build();
      messages = new MessageStore(pool, appendPool, config);
      appends = new AppendBatcher(messages, config.appendConnections(), config.appendBatchMax(),
          DistributionSummary.builder(MeterNames.APPEND_BATCH_SIZE).description("appends committed together in one transaction")
              .publishPercentileHistogram().register(metrics.registry()));
      conversations = new ConversationStore(pool);
      replyJobs = new ReplyJobStore(pool, config);
      content = new ContentStore(pool);
      surveys = new SurveyStore(pool);
      return Future.all(List.of(
          serve(Addresses.APPEND, AppendMessage.class, this::append),
          serve(Addresses.appendAt(config.nodeInstance()), AppendMessage.class, this::append),
          serve(Addresses.HISTORY, HistoryRequest.class, messages::history),
          serve(Addresses.CONNECT_CONTEXT, ConnectContextRequest.class, conversations::connectContext),
          serve(Addresses.CREATE_BOT, CreateBot.class, conversations::createBot),
          serve(Addresses.CREATE_CONVERSATION, CreateConversation.class, conversations::createConversation),
          serve(Addresses.DATABASE_PING, Ping.class, ping -> conversations.ping()),
          serve(Addresses.CLAIM_REPLY_JOB, ClaimReplyJob.class, replyJobs::claim),
          serve(Addresses.DUE_REPLY_JOBS, DueReplyJobs.class, replyJobs::due),
          serve(Addresses.FAIL_REPLY_JOB, FailReplyJob.class, replyJobs::fail),
          serve(Addresses.RENEW_REPLY_JOB, RenewReplyJob.class, replyJobs::renew),
          serve(Addresses.RELEASE_REPLY_JOB, ReleaseReplyJob.class, request -> announceJob(replyJobs.release(request))),
          serve(Addresses.RETRY_REPLY_JOB, RetryReplyJob.class, request -> announceJob(replyJobs.retry(request))),
          serve(Addresses.CHANGE_MEMBERSHIP, ChangeMembership.class, this::changeMembership),
          serve(Addresses.CO_MEMBERS, CoMembersRequest.class, conversations::coMembers),
          serve(Addresses.CONVERSATION_MEMBERS, chorus.shared.bus.ConversationMembersRequest.class, conversations::members),
          serve(Addresses.LAST_SEQS, LastSeqsRequest.class, messages::lastSeqs),
          serve(Addresses.MARK_READ, MarkRead.class, request -> announced(conversations.markRead(request),
              receipt -> receipt.changed(), ReadReceipt::conversationId)),
          serve(Addresses.REACT, React.class, request -> announced(conversations.react(request),
              ReactionChanged::changed, ReactionChanged::conversationId)),
          serve(Addresses.FETCH_ATTACHMENT, FetchAttachment.class, content::fetchAttachment),
          serve(Addresses.PUBLISH_KEY, PublishKey.class, content::publishKey),
          serve(Addresses.USER_KEYS, UserKeysRequest.class, content::userKeys),
          serve(Addresses.SEARCH_MESSAGES, SearchMessages.class, content::search),
          serve(Addresses.RECORD_LAST_SEEN, RecordLastSeen.class, conversations::recordLastSeen),
          serve(Addresses.LAST_SEEN, LastSeenQuery.class, conversations::lastSeen),
          // published so that the member's sockets joined elsewhere know it (conversation_joined says archived)
          serve(Addresses.SET_ARCHIVED, SetArchived.class, request -> announced(conversations.setArchived(request),
              ArchiveState::changed, ArchiveState::conversationId)),
          serve(Addresses.LIST_CONVERSATIONS, ListConversations.class, conversations::listConversations),
          serve(Addresses.CHECK_MEMBERS, CheckMembers.class, conversations::checkMembers),
          serve(Addresses.SURVEY_CONTEXT, SurveyContextRequest.class, surveys::context),
          serve(Addresses.SURVEY_ANSWER, SurveyAnswer.class, this::surveyAnswer)));
    }).onSuccess(ready -> {
      announceAlive();
      log.info("persistence ready on node '{}' (pool of {}, {} for appends)", config.nodeId(), config.poolSize(), config.appendConnections());
    });
  }

  /**
   * Tells the gateways this role is up, now, every {@value #ALIVE_INTERVAL_MS} ms and when a
   * gateway that has just started asks ({@code PERSISTENCE_ALIVE_QUERY}): they send
   * each conversation's appends to one persistence role, so that one batcher, not one per
   * node, writes a conversation, and its appends are committed together instead of queueing
   * on the conversation's row lock from every node. (The timer is the verticle's: it stops
   * with it.)
   */
  private void announceAlive() {
    PersistenceAlive alive = new PersistenceAlive(config.nodeInstance());
    vertx.eventBus().publish(Addresses.PERSISTENCE_ALIVE, alive);
    vertx.setPeriodic(ALIVE_INTERVAL_MS, timer -> {
      if (served.isOpen()) {
        vertx.eventBus().publish(Addresses.PERSISTENCE_ALIVE, alive);
      }
    });
    // a gateway that has just started asks, rather than route by a partial view until the next tick
    vertx.eventBus().consumer(Addresses.PERSISTENCE_ALIVE_QUERY, query -> {
      if (served.isOpen()) {
        vertx.eventBus().publish(Addresses.PERSISTENCE_ALIVE, alive);
      }
    });
  }

  /**
   * Every statement is prepared once per connection and kept: the client's default keeps
   * only statements under 2,048 characters, and APPEND, the one run most, is longer, so it
   * was parsed and planned again for every message.
   */
  static PgConnectOptions preparedOnce(PgConnectOptions options) {
    return options.setCachePreparedStatements(true).setPreparedStatementCacheSqlLimit(PREPARED_SQL_LIMIT)
        .setPipeliningLimit(PIPELINING_LIMIT);
  }

  /**
   * A clean stop (a drain, an undeploy) loses no request: the addresses are unregistered
   * first, so the cluster routes new requests to the other persistence verticles, then the
   * requests already being served are answered (at most limits.requestTimeoutMs: the caller
   * has given up by then), then the pool closes.
   */
  @Override
  public Future<?> stop() {
    if (served == null) {
      return Future.succeededFuture();
    }
    if (served.inFlight() > 0) {
      log.info("persistence stopping: answering the {} requests being served", served.inFlight());
    }
    return served.close(config.requestTimeoutMs()).transform(ignored -> {
      if (served.inFlight() > 0) {
        log.warn("persistence stopping with {} requests unanswered after {} ms", served.inFlight(), config.requestTimeoutMs());
      }
      return Future.join(pool == null ? Future.succeededFuture() : pool.close(),
          appendPool == null ? Future.succeededFuture() : appendPool.close());
    });
  }

  /**
   * Append, then tell the cluster: the new message on its conversation's topic, and a new
   * reply job to one AI verticle (fire and forget: the sweep of due jobs catches a lost one).
   * A duplicate announces nothing, it was announced the first time.
   */
  private Future<AppendResult> append(AppendMessage request) {
    long received = System.nanoTime();
    Future<AppendResult> stored;
    try {
      // a file is big: it is stored in a transaction of its own rather than delay a batch
      stored = request.attachment() != null ? messages.append(MessageStore.appendParams(request)) : appends.append(MessageStore.appendParams(request));
    } catch (RequestFailure e) {
      return Future.failedFuture(e);
    }
    return stored.onSuccess(result -> {
      if (result.duplicate()) {
        return;
      }
      appendLatency.record(System.nanoTime() - received, TimeUnit.NANOSECONDS);
      persistedByRole.get(result.message().role()).increment();
      var eventBus = vertx.eventBus();
      eventBus.publish(Addresses.conversationTopic(result.message().conversationId()), new MessageAppended(result.message(), config.nodeId()));
      if (result.replyJobId() != null) {
        eventBus.send(Addresses.REPLY_JOB_READY, new ReplyJobReady(result.replyJobId(), result.message().conversationId()));
      }
    });
  }

  /** A job made pending again (retried, released) is told to one AI verticle at once; the sweep catches a lost one. */
  private Future<ReplyJobReady> announceJob(Future<ReplyJobReady> job) {
    return job.onSuccess(ready -> vertx.eventBus().send(Addresses.REPLY_JOB_READY, ready));
  }

  /** A stored answer and the bot's next message are published like any append, in seq order. */
  private Future<SurveyAnswerResult> surveyAnswer(SurveyAnswer request) {
    return surveys.answer(request).onSuccess(result -> {
      for (StoredMessage message : result.messages()) {
        vertx.eventBus().publish(Addresses.conversationTopic(message.conversationId()), new MessageAppended(message, config.nodeId()));
      }
    });
  }

  /**
   * A change is announced on the conversation's topic: a removal makes every node cut that
   * member's sockets off at once; an addition keeps the member lists of sockets that follow
   * the members' presence (conversation profile, ?presence=true) up to date.
   */
  private Future<MembershipChanged> changeMembership(ChangeMembership request) {
    return conversations.changeMembership(request).onSuccess(result -> {
      if (result.changed()) {
        vertx.eventBus().publish(Addresses.conversationTopic(result.conversationId()), result);
      }
    });
  }

  /** When {@code changed}, the result is also published on its conversation's topic, after commit. */
  private <R> Future<R> announced(Future<R> result, Function<R, Boolean> changed, Function<R, UUID> conversation) {
    return result.onSuccess(value -> {
      if (changed.apply(value)) {
        vertx.eventBus().publish(Addresses.conversationTopic(conversation.apply(value)), value);
      }
    });
  }

  private <T, R> Future<Void> serve(String address, Class<T> type, Function<T, Future<R>> handler) {
    return served.serve(address, type, handler, (message, failure) -> fail(message, address, failure));
  }

  /** Maps a failure to its code. Expected refusals are not logged; database trouble is (never message contents). */
  private static void fail(Message<?> message, String address, Throwable failure) {
    if (failure instanceof RequestFailure refusal) {
      message.fail(refusal.code, refusal.getMessage());
    } else if (failure instanceof DatabaseException db && "23505".equals(db.getSqlState())) {
      message.fail(Failures.CONFLICT, "already exists");
    } else if (failure instanceof DatabaseException db && isBadInput(db.getSqlState())) {
      log.debug("{}: rejected by the database: {}", address, db.getMessage());
      message.fail(Failures.INVALID, "invalid request (" + db.getSqlState() + ")");
    } else {
      log.warn("{}: database unavailable or statement failed", address, failure);
      message.fail(Failures.UNAVAILABLE, "database unavailable");
    }
  }

  /**
   * SQLSTATE classes that mean the request itself is wrong: integrity (23: unknown
   * referenced row, check violated; a duplicate key is a CONFLICT, handled before) and data exceptions (22: value out of range...).
   */
  private static boolean isBadInput(String sqlState) {
    return sqlState != null && (sqlState.startsWith("23") || sqlState.startsWith("22"));
  }
}
