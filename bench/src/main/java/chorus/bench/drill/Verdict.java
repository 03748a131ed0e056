package chorus.bench.drill;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The drill's checks, on plain data: what the clients saw and sent against what the
 * database holds. No I/O here, so every rule is unit-tested (VerdictTest).
 */
final class Verdict {
  /** A stored message, as the database has it. */
  record DbMessage(String id, String conversationId, long seq, String role, String senderId, String clientMessageId, String replyTo) {
    boolean isUser() {
      return "user".equals(role);
    }
  }

  /** A message a client sent; {@code ackedId} null when it was never acknowledged. */
  record Sent(String clientId, String conversationId, String peer, String ackedId, long ackedSeq) {}

  /** What one client received of one conversation, in arrival order. */
  record View(String peer, String conversationId, List<Reception.Receipt> receipts) {}

  /** A reply job of a user message. */
  record Job(String userMessageId, String status, String lastError) {}

  enum Kind {
    LOST("acknowledged but not in the database"),
    STORED_TWICE("stored more than once"),
    UNACKNOWLEDGED("sent, never acknowledged"),
    SEQ_GAP("database seq not gap-free"),
    NOT_DELIVERED("a client never received a message of its conversation"),
    DELIVERED_TWICE("a client received a message twice"),
    OUT_OF_ORDER("a client received a message after a later one"),
    UNKNOWN_DELIVERY("a client received a message the database does not hold (or with another id)"),
    REPLY_MISSING("a user message without an assistant reply"),
    REPLY_TWICE("a user message with more than one assistant reply"),
    PRESENCE("presence not settled");

    final String meaning;

    Kind(String meaning) {
      this.meaning = meaning;
    }
  }

  record Problem(Kind kind, String detail) {}

  private final List<Problem> problems = new ArrayList<>();

  void add(Kind kind, String detail) {
    problems.add(new Problem(kind, detail));
  }

  List<Problem> problems() {
    return List.copyOf(problems);
  }

  boolean passed() {
    return problems.isEmpty();
  }

  Map<Kind, Integer> counts() {
    Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
    problems.forEach(p -> counts.merge(p.kind(), 1, Integer::sum));
    return counts;
  }

  /** Every acknowledged message is in the database exactly once, with the id and seq it was acknowledged with. */
  void checkAcknowledged(List<Sent> sent, Map<String, List<DbMessage>> db) {
    Map<String, DbMessage> byId = new HashMap<>();
    Map<String, Integer> byClientId = new HashMap<>();
    db.values().forEach(messages -> messages.forEach(m -> {
      byId.put(m.id(), m);
      if (m.clientMessageId() != null) {
        byClientId.merge(m.conversationId() + "/" + m.clientMessageId(), 1, Integer::sum);
      }
    }));
    for (Sent s : sent) {
      int stored = byClientId.getOrDefault(s.conversationId() + "/" + s.clientId(), 0);
      if (stored > 1) {
        add(Kind.STORED_TWICE, s.clientId() + " stored " + stored + " times in " + s.conversationId());
      }
      if (s.ackedId() == null) {
        add(Kind.UNACKNOWLEDGED, s.clientId() + " by " + s.peer() + (stored > 0 ? " (stored, the ack never came)" : " (not stored)"));
        continue;
      }
      DbMessage m = byId.get(s.ackedId());
      if (m == null || !m.conversationId().equals(s.conversationId()) || !s.clientId().equals(m.clientMessageId())
          || m.seq() != s.ackedSeq()) {
        add(Kind.LOST, s.clientId() + " acked as " + s.ackedId() + " seq " + s.ackedSeq() + " by " + s.peer()
            + (m == null ? ": no such message" : ": the database has seq " + m.seq() + " client id " + m.clientMessageId()));
      }
    }
  }

  /** The database's own invariant: each conversation's seqs are 1..last_seq, once each. */
  void checkSeqs(Map<String, List<DbMessage>> db, Map<String, Long> lastSeqs) {
    for (Map.Entry<String, Long> entry : lastSeqs.entrySet()) {
      List<DbMessage> messages = db.getOrDefault(entry.getKey(), List.of());
      long expected = 1;
      for (DbMessage m : messages) {
        if (m.seq() != expected) {
          add(Kind.SEQ_GAP, entry.getKey() + ": seq " + m.seq() + " where " + expected + " was due");
          expected = m.seq();
        }
        expected++;
      }
      if (expected - 1 != entry.getValue()) {
        add(Kind.SEQ_GAP, entry.getKey() + ": last_seq " + entry.getValue() + " but " + messages.size() + " messages");
      }
    }
  }

  /**
   * Every client received every message of its conversations (all of them: the drill's
   * clients start from seq 0) exactly once, in seq order, with the database's id.
   */
  void checkDeliveries(List<View> views, Map<String, List<DbMessage>> db) {
    for (View view : views) {
      Map<Long, DbMessage> stored = new HashMap<>();
      db.getOrDefault(view.conversationId(), List.of()).forEach(m -> stored.put(m.seq(), m));
      String who = view.peer() + " in " + view.conversationId();
      Set<Long> held = new HashSet<>();
      long previous = 0;
      for (Reception.Receipt r : view.receipts()) {
        if (!held.add(r.seq())) {
          add(Kind.DELIVERED_TWICE, who + ": seq " + r.seq() + " again on connection " + r.connection());
        } else if (r.seq() < previous) {
          add(Kind.OUT_OF_ORDER, who + ": seq " + r.seq() + " after seq " + previous + " on connection " + r.connection());
        }
        previous = Math.max(previous, r.seq());
        DbMessage m = stored.get(r.seq());
        if (m == null || !m.id().equals(r.id())) {
          add(Kind.UNKNOWN_DELIVERY, who + ": seq " + r.seq() + " id " + r.id() + (m == null ? " not stored" : " but stored as " + m.id()));
        }
      }
      List<Long> missing = stored.keySet().stream().filter(seq -> !held.contains(seq)).sorted().toList();
      if (!missing.isEmpty()) {
        add(Kind.NOT_DELIVERED, who + ": " + missing.size() + " of " + stored.size() + " missing, seqs " + abbreviate(missing));
      }
    }
  }

  /** Every user message of an AI conversation has exactly one assistant reply. */
  void checkReplies(Map<String, List<DbMessage>> db, Set<String> aiConversations, Map<String, Job> jobs) {
    for (String conversationId : aiConversations) {
      List<DbMessage> messages = db.getOrDefault(conversationId, List.of());
      Map<String, Integer> replies = new HashMap<>();
      messages.stream().filter(m -> "assistant".equals(m.role()) && m.replyTo() != null)
          .forEach(m -> replies.merge(m.replyTo(), 1, Integer::sum));
      for (DbMessage m : messages) {
        if (!m.isUser()) {
          continue;
        }
        int count = replies.getOrDefault(m.id(), 0);
        if (count == 0) {
          Job job = jobs.get(m.id());
          add(Kind.REPLY_MISSING, conversationId + " seq " + m.seq() + " (" + m.clientMessageId() + "): "
              + (job == null ? "no reply job" : "job " + job.status() + (job.lastError() != null ? ", " + job.lastError() : "")));
        } else if (count > 1) {
          add(Kind.REPLY_TWICE, conversationId + " seq " + m.seq() + " (" + m.clientMessageId() + "): " + count + " replies");
        }
      }
    }
  }

  private static String abbreviate(List<Long> seqs) {
    return seqs.size() <= 8 ? seqs.toString() : seqs.subList(0, 8) + "...";
  }
}
