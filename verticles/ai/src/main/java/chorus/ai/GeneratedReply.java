package chorus.ai;

import java.util.Map;

/** A finished reply: its text and what is stored in the message's meta (provider, model, finish reason, timings). */
public record GeneratedReply(String content, Map<String, Object> meta) {}
