package chorus.shared.bus;

import io.vertx.core.Vertx;
import java.util.List;

/** Registers the codec of every payload record once per Vertx instance; every verticle calls it in start(). */
public final class PayloadCodecs {
  private PayloadCodecs() {}

  /** Every record that travels on the event bus. A new payload type is added here. */
  public static final List<Class<?>> PAYLOAD_TYPES = List.of(
      AppendMessage.class, AppendResult.class, MessageAppended.class, PersistenceAlive.class,
      ConnectContextRequest.class, ConnectContext.class,
      HistoryRequest.class, HistoryPage.class,
      CreateBot.class, CreateConversation.class,
      chorus.shared.domain.Bot.class, chorus.shared.domain.Conversation.class,
      ReplyJobReady.class, ClaimReplyJob.class, ReplyWork.class,
      DueReplyJobs.class, DueReplyJobsResult.class, FailReplyJob.class,
      SocketOpened.class, SocketClosed.class, PresenceQuery.class, PresenceSnapshot.class,
      Ping.class,
      ChangeMembership.class, MembershipChanged.class, CoMembersRequest.class, CoMembers.class,
      ConversationMembersRequest.class, ConversationMembers.class,
      PresenceChanged.class, TypingChanged.class,
      LastSeqsRequest.class, LastSeqs.class,
      MarkRead.class, ReadReceipt.class, React.class, ReactionChanged.class,
      Admission.class, ViewerJoined.class, ViewerLeft.class, ViewersQuery.class, Viewers.class, RateLimitTake.class,
      FetchAttachment.class, AttachmentFile.class,
      PublishKey.class, UserKeysRequest.class, UserKeys.class, SearchMessages.class, SearchResults.class,
      SetStatus.class, StatusSet.class, RecordLastSeen.class, LastSeenQuery.class, LastSeen.class,
      SetArchived.class, ArchiveState.class, ListConversations.class, ConversationList.class, CheckMembers.class, Members.class,
      CallSignal.class,
      // the AI engine: streaming, stop, leases (the per-user limits live in the claim and the reply)
      ReplyDelta.class, ReplySnapshot.class, StreamSnapshotRequest.class, ReplyStreamEnded.class, ReplyFailed.class,
      StopGeneration.class, RenewReplyJob.class, ReleaseReplyJob.class, RetryReplyJob.class,
      // the survey profile
      SurveyContextRequest.class, SurveyContext.class, SurveyAnswer.class, SurveyAnswerResult.class);

  public static void install(Vertx vertx) {
    // the local map is per Vertx instance, and putIfAbsent is atomic across the verticles starting on it
    if (vertx.sharedData().getLocalMap("chorus.codecs").putIfAbsent("installed", Boolean.TRUE) != null) {
      return;
    }
    for (Class<?> type : PAYLOAD_TYPES) {
      register(vertx, type);
    }
  }

  private static <T> void register(Vertx vertx, Class<T> type) {
    vertx.eventBus().registerDefaultCodec(type, new RecordCodec<>(type));
  }
}
