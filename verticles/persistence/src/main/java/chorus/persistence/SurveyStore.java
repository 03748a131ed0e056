package chorus.persistence;

import static chorus.persistence.RequestFailure.require;

import chorus.shared.bus.SurveyAnswer;
import chorus.shared.bus.SurveyAnswerResult;
import chorus.shared.bus.SurveyContext;
import chorus.shared.bus.SurveyContextRequest;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** Survey conversations: the context a survey socket loads, and the atomic answer-and-advance. */
final class SurveyStore {
  private final Pool pool;

  SurveyStore(Pool pool) {
    this.pool = pool;
  }

  Future<SurveyContext> context(SurveyContextRequest request) {
    require(request.conversationId(), "conversationId");
    int limit = Math.max(0, request.messageLimit());
    return pool.preparedQuery(Sql.SURVEY_CONTEXT).execute(Tuple.of(request.conversationId(), request.requesterId(), limit))
        .map(rows -> {
          if (rows.size() == 0) {
            throw RequestFailure.notFound("no such conversation");
          }
          Row first = rows.iterator().next();
          List<StoredMessage> messages = new ArrayList<>(rows.size());
          for (Row row : rows) {
            if (Rows.hasMessage(row, "m_")) {
              messages.add(Rows.message(row, "m_"));
            }
          }
          return new SurveyContext(Rows.conversation(first, "c_"), Rows.bot(first, "b_"), Rows.surveyState(first, "s_"),
              List.copyOf(messages));
        });
  }

  /** See {@link Sql#SURVEY_ANSWER}. */
  Future<SurveyAnswerResult> answer(SurveyAnswer request) {
    require(request.conversationId(), "conversationId");
    require(request.questionId(), "questionId");
    require(request.content(), "content");
    require(request.botContent(), "botContent");
    Tuple params = Tuple.of(request.conversationId(), request.requesterId(), request.questionIndex(), request.questionId(),
        request.answer(), request.content(), Rows.json(request.answerMeta()), request.nextIndex(), request.completes(),
        request.botContent(), Rows.json(request.botMeta()), RowIds.next())
        .addValue(RowIds.next()).addValue(request.senderId());
    return pool.preparedQuery(Sql.SURVEY_ANSWER).execute(params).map(rows -> {
      if (rows.size() == 0) {
        throw RequestFailure.notFound("no such survey");
      }
      Row first = rows.iterator().next();
      String outcome = first.getString("outcome");
      List<StoredMessage> messages = new ArrayList<>(2);
      if (SurveyAnswerResult.STORED.equals(outcome)) {
        rows.forEach(row -> messages.add(Rows.message(row, "")));
      }
      return new SurveyAnswerResult(outcome, Rows.surveyState(first, "s_"), List.copyOf(messages));
    });
  }
}
