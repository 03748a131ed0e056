package chorus.bench.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.bench.drill.Verdict.DbMessage;
import chorus.bench.drill.Verdict.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The drill's verdict on plain data: each kind of failure is found, and a clean run passes. */
class VerdictTest {
  private static final String CONV = "c1";

  /** A conversation of user messages each answered: u1 (seq 1), its reply (seq 2), u2 (seq 3), its reply (seq 4)... */
  private static List<DbMessage> answeredConversation(int pairs) {
    List<DbMessage> messages = new ArrayList<>();
    for (int i = 1; i <= pairs; i++) {
      messages.add(new DbMessage("u" + i, CONV, 2L * i - 1, "user", "alice", "m" + i, null));
      messages.add(new DbMessage("a" + i, CONV, 2L * i, "assistant", "bot", null, "u" + i));
    }
    return messages;
  }

  private static Reception receiveAll(List<DbMessage> messages) {
    Reception reception = new Reception();
    reception.newConnection();
    messages.forEach(m -> reception.receive(m.seq(), m.id(), m.clientMessageId(), !m.isUser()));
    return reception;
  }

  private static Verdict check(List<DbMessage> db, Reception reception, List<Verdict.Sent> sent, Map<String, Verdict.Job> jobs) {
    Map<String, List<DbMessage>> byConversation = Map.of(CONV, db);
    Verdict verdict = new Verdict();
    verdict.checkAcknowledged(sent, byConversation);
    verdict.checkSeqs(byConversation, Map.of(CONV, (long) db.size()));
    verdict.checkDeliveries(List.of(new Verdict.View("alice#1", CONV, reception.receipts())), byConversation);
    verdict.checkReplies(byConversation, Set.of(CONV), jobs);
    return verdict;
  }

  private static List<Verdict.Sent> acked(List<DbMessage> db) {
    return db.stream().filter(DbMessage::isUser).map(m -> new Verdict.Sent(m.clientMessageId(), CONV, "alice#1", m.id(), m.seq())).toList();
  }

  @Test
  void aCleanRunPasses() {
    List<DbMessage> db = answeredConversation(3);
    Verdict verdict = check(db, receiveAll(db), acked(db), Map.of());
    assertTrue(verdict.passed(), verdict.problems().toString());
  }

  @Test
  void aResumeAcrossConnectionsIsNotAProblem() {
    List<DbMessage> db = answeredConversation(3);
    Reception reception = new Reception();
    reception.newConnection();
    db.subList(0, 3).forEach(m -> reception.receive(m.seq(), m.id(), m.clientMessageId(), !m.isUser()));
    reception.newConnection();
    assertEquals(3, reception.resumeFrom());
    db.subList(3, 6).forEach(m -> reception.receive(m.seq(), m.id(), m.clientMessageId(), !m.isUser()));
    assertTrue(check(db, reception, acked(db), Map.of()).passed());
  }

  @Test
  void aDuplicateDeliveryIsFound() {
    List<DbMessage> db = answeredConversation(2);
    Reception reception = receiveAll(db);
    reception.newConnection();
    reception.receive(3, "u2", "m2", false); // the resume replayed a message the client had
    Verdict verdict = check(db, reception, acked(db), Map.of());
    assertEquals(Map.of(Kind.DELIVERED_TWICE, 1), verdict.counts());
  }

  @Test
  void theEchoOfAResendIsNotADuplicateButASecondEchoIs() {
    List<DbMessage> db = answeredConversation(2);
    Reception reception = receiveAll(db);
    reception.newConnection();
    reception.allowEcho("m2");
    assertFalse(reception.receive(3, "u2", "m2", false), "the stored message answering a resend");
    assertTrue(reception.receive(3, "u2", "m2", false), "a second copy is a delivery again");
    Verdict verdict = check(db, reception, acked(db), Map.of());
    assertEquals(Map.of(Kind.DELIVERED_TWICE, 1), verdict.counts());
    assertEquals(1, reception.echoes());
  }

  @Test
  void twoResendsInFlightTogetherMayBothBeEchoed() {
    List<DbMessage> db = answeredConversation(2);
    Reception reception = new Reception();
    reception.newConnection();
    db.subList(0, 2).forEach(m -> reception.receive(m.seq(), m.id(), m.clientMessageId(), !m.isUser()));
    // m2's first send hangs on a dead node; it is sent again twice on the same connection
    reception.allowEcho("m2");
    reception.allowEcho("m2");
    assertTrue(reception.receive(3, "u2", "m2", false), "the first to be stored is the delivery");
    assertFalse(reception.receive(3, "u2", "m2", false));
    assertFalse(reception.receive(3, "u2", "m2", false));
    reception.receive(4, "a2", null, true);
    assertTrue(check(db, reception, acked(db), Map.of()).passed());
    assertEquals(2, reception.echoes());
  }

  @Test
  void echoAllowancesDoNotOutliveTheirConnection() {
    List<DbMessage> db = answeredConversation(2);
    Reception reception = receiveAll(db);
    reception.allowEcho("m2");
    reception.newConnection();
    assertTrue(reception.receive(3, "u2", "m2", false), "a resend on a closed connection cannot be echoed on this one");
    assertEquals(Map.of(Kind.DELIVERED_TWICE, 1), check(db, reception, acked(db), Map.of()).counts());
  }

  @Test
  void aGapIsFound() {
    List<DbMessage> db = answeredConversation(3);
    Reception reception = new Reception();
    reception.newConnection();
    db.stream().filter(m -> m.seq() != 4).forEach(m -> reception.receive(m.seq(), m.id(), m.clientMessageId(), !m.isUser()));
    Verdict verdict = check(db, reception, acked(db), Map.of());
    assertEquals(Map.of(Kind.NOT_DELIVERED, 1), verdict.counts());
    assertTrue(verdict.problems().get(0).detail().contains("[4]"), verdict.problems().toString());
  }

  @Test
  void anOutOfOrderDeliveryIsFound() {
    List<DbMessage> db = answeredConversation(2);
    Reception reception = new Reception();
    reception.newConnection();
    for (int index : new int[] {0, 2, 1, 3}) {
      DbMessage m = db.get(index);
      reception.receive(m.seq(), m.id(), m.clientMessageId(), !m.isUser());
    }
    Verdict verdict = check(db, reception, acked(db), Map.of());
    assertEquals(Map.of(Kind.OUT_OF_ORDER, 1), verdict.counts());
  }

  @Test
  void aMissingReplyIsFoundWithItsJobState() {
    List<DbMessage> db = new ArrayList<>(answeredConversation(2));
    db.add(new DbMessage("u3", CONV, 5, "user", "alice", "m3", null));
    Verdict verdict = check(db, receiveAll(db), acked(db), Map.of("u3", new Verdict.Job("u3", "failed", "ai_busy")));
    assertEquals(Map.of(Kind.REPLY_MISSING, 1), verdict.counts());
    assertTrue(verdict.problems().get(0).detail().contains("job failed, ai_busy"), verdict.problems().toString());
  }

  @Test
  void twoRepliesToOneMessageAreFound() {
    List<DbMessage> db = new ArrayList<>(answeredConversation(2));
    db.add(new DbMessage("a2bis", CONV, 5, "assistant", "bot", null, "u2"));
    Verdict verdict = check(db, receiveAll(db), acked(db), Map.of());
    assertEquals(Map.of(Kind.REPLY_TWICE, 1), verdict.counts());
  }

  @Test
  void anAcknowledgedMessageMissingFromTheDatabaseIsLost() {
    List<DbMessage> db = answeredConversation(2);
    List<Verdict.Sent> sent = new ArrayList<>(acked(db));
    sent.add(new Verdict.Sent("m9", CONV, "alice#1", "u9", 9));
    Verdict verdict = check(db, receiveAll(db), sent, Map.of());
    assertEquals(Map.of(Kind.LOST, 1), verdict.counts());
  }

  @Test
  void aNeverAcknowledgedSendAndADatabaseSeqGapAreFound() {
    List<DbMessage> db = new ArrayList<>(answeredConversation(2));
    db.remove(1); // seq 2 gone: the database skips from 1 to 3
    List<Verdict.Sent> sent = new ArrayList<>(acked(db));
    sent.add(new Verdict.Sent("m7", CONV, "alice#1", null, 0));
    Map<String, List<DbMessage>> byConversation = Map.of(CONV, db);
    Verdict verdict = new Verdict();
    verdict.checkAcknowledged(sent, byConversation);
    verdict.checkSeqs(byConversation, Map.of(CONV, 4L));
    assertEquals(Map.of(Kind.UNACKNOWLEDGED, 1, Kind.SEQ_GAP, 1), verdict.counts());
  }
}
