package chorus.gateway.survey;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A survey bot's script: its questions in the order they may be asked. Follow-ups are
 * flattened into the list right after their parent, each with the answers of the parent
 * that ask it ({@code ask_if}), so {@code current_question_index} is a plain index and
 * "what comes next" only looks forward. Validated once, when the bot is created
 * ({@link #parse}); stored in the bot's settings as {@code survey} ({@link #toSettings}).
 */
public final class SurveyScript {
  public static final String DEFAULT_COMPLETION_MESSAGE = "Thank you for completing the survey!";
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final int MAX_TEXT_CHARS = 2000;
  private static final int MAX_OPTION_CHARS = 200;

  /** One question. {@code askIfQuestion}/{@code askIfAnswers}: a follow-up, asked only after one of those answers. */
  public record Question(String id, String text, List<String> options, boolean required, String askIfQuestion, List<String> askIfAnswers) {
    public boolean hasOptions() {
      return !options.isEmpty();
    }

    /** As sent to clients (state, resumed, each question message). */
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("id", id).put("text", text).put("options", new JsonArray(options)).put("required", required);
      if (askIfQuestion != null) {
        json.put("ask_if", new JsonObject().put("question", askIfQuestion).put("answers", new JsonArray(askIfAnswers)));
      }
      return json;
    }
  }

  /** A script that does not validate; the message names the field, e.g. {@code questions[0].options[1]}. */
  public static final class Invalid extends RuntimeException {
    public Invalid(String message) {
      super(message, null, false, false);
    }
  }

  /** What an answer becomes: a problem to tell the client, or the value to store and where the survey goes next. */
  public record Outcome(String problemCode, String problem, String answer, String content, int nextIndex, boolean completes) {
    public boolean refused() {
      return problemCode != null;
    }
  }

  private final List<Question> questions;
  private final String completionMessage;

  private SurveyScript(List<Question> questions, String completionMessage) {
    this.questions = List.copyOf(questions);
    this.completionMessage = completionMessage;
  }

  public int size() {
    return questions.size();
  }

  public Question question(int index) {
    return index >= 0 && index < questions.size() ? questions.get(index) : null;
  }

  public String completionMessage() {
    return completionMessage;
  }

  public JsonArray questionsJson() {
    JsonArray array = new JsonArray();
    questions.forEach(q -> array.add(q.toJson()));
    return array;
  }

  // ---- validation (POST /api/v1/bots) ------------------------------------------------------

  /**
   * Validates the client's script: {@code questions} (each {@code id}, {@code text},
   * optional {@code options}, {@code required} (default true), {@code follow_ups}: a list of
   * {@code {"when": [answers], "questions": [...]}}) and an optional completion message.
   */
  public static SurveyScript parse(Object questionsValue, Object completionValue, int maxQuestions, int maxOptions) {
    if (!(questionsValue instanceof JsonArray array) || array.isEmpty()) {
      throw new Invalid("questions must be a non-empty array");
    }
    List<Question> flat = new ArrayList<>();
    flatten(array, "questions", null, List.of(), flat, new HashSet<>(), maxQuestions, maxOptions);
    String completion = DEFAULT_COMPLETION_MESSAGE;
    if (completionValue != null) {
      if (!(completionValue instanceof String text) || text.isBlank() || text.length() > MAX_TEXT_CHARS) {
        throw new Invalid("completion_message must be a non-empty string of at most " + MAX_TEXT_CHARS + " characters");
      }
      completion = text;
    }
    return new SurveyScript(flat, completion);
  }

  private static void flatten(JsonArray array, String path, Question parent, List<String> when, List<Question> flat, Set<String> ids,
      int maxQuestions, int maxOptions) {
    for (int i = 0; i < array.size(); i++) {
      String at = path + "[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject json)) {
        throw new Invalid(at + " must be an object");
      }
      if (flat.size() >= maxQuestions) {
        throw new Invalid("a survey has at most " + maxQuestions + " questions, follow-ups included");
      }
      Object idValue = json.getValue("id", "q" + (flat.size() + 1));
      if (!(idValue instanceof String id) || !ID.matcher(id).matches()) {
        throw new Invalid(at + ".id must be 1 to 64 letters, digits, '_', '-' or '.'");
      }
      if (!ids.add(id)) {
        throw new Invalid(at + ".id '" + id + "' is used twice");
      }
      if (!(json.getValue("text") instanceof String text) || text.isBlank() || text.length() > MAX_TEXT_CHARS) {
        throw new Invalid(at + ".text is required: a non-empty string of at most " + MAX_TEXT_CHARS + " characters");
      }
      List<String> options = options(json.getValue("options"), at + ".options", maxOptions);
      Object required = json.getValue("required", true);
      if (!(required instanceof Boolean requiredFlag)) {
        throw new Invalid(at + ".required must be a boolean");
      }
      Question question = new Question(id, text, options, requiredFlag, parent == null ? null : parent.id(), when);
      flat.add(question);
      Object followUps = json.getValue("follow_ups");
      if (followUps == null) {
        continue;
      }
      if (!(followUps instanceof JsonArray rules)) {
        throw new Invalid(at + ".follow_ups must be an array of {\"when\": [answers], \"questions\": [...]}");
      }
      for (int r = 0; r < rules.size(); r++) {
        String ruleAt = at + ".follow_ups[" + r + "]";
        if (!(rules.getValue(r) instanceof JsonObject rule)) {
          throw new Invalid(ruleAt + " must be an object");
        }
        List<String> answers = whenAnswers(rule.getValue("when"), ruleAt + ".when", question);
        if (!(rule.getValue("questions") instanceof JsonArray children) || children.isEmpty()) {
          throw new Invalid(ruleAt + ".questions must be a non-empty array");
        }
        flatten(children, ruleAt + ".questions", question, answers, flat, ids, maxQuestions, maxOptions);
      }
    }
  }

  private static List<String> options(Object value, String at, int maxOptions) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array) || array.isEmpty() || array.size() > maxOptions) {
      throw new Invalid(at + " must be an array of 1 to " + maxOptions + " strings");
    }
    List<String> options = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof String option) || option.isBlank() || option.length() > MAX_OPTION_CHARS) {
        throw new Invalid(at + "[" + i + "] must be a non-empty string of at most " + MAX_OPTION_CHARS + " characters");
      }
      if (!seen.add(normal(option))) {
        throw new Invalid(at + "[" + i + "] repeats the option '" + option + "'");
      }
      options.add(option.strip());
    }
    return List.copyOf(options);
  }

  private static List<String> whenAnswers(Object value, String at, Question parent) {
    List<Object> raw = value instanceof String single ? List.of(single) : value instanceof JsonArray array ? array.getList() : null;
    if (raw == null || raw.isEmpty()) {
      throw new Invalid(at + " must be an answer or a non-empty array of answers");
    }
    List<String> answers = new ArrayList<>();
    for (Object item : raw) {
      if (!(item instanceof String answer) || answer.isBlank()) {
        throw new Invalid(at + " must hold non-empty strings");
      }
      if (parent.hasOptions() && canonicalOption(parent, answer) == null) {
        throw new Invalid(at + ": '" + answer + "' is not one of the options of question '" + parent.id() + "'");
      }
      answers.add(parent.hasOptions() ? canonicalOption(parent, answer) : answer.strip());
    }
    return List.copyOf(answers);
  }

  /** The bot settings that carry this script. */
  public JsonObject toSettings() {
    return new JsonObject().put("questions", questionsJson()).put("completion_message", completionMessage);
  }

  // ---- reading a stored script ---------------------------------------------------------------

  /** The script in a survey bot's settings; null when the bot has none (a survey bot created without questions). */
  @SuppressWarnings("unchecked")
  public static SurveyScript fromSettings(Map<String, Object> settings) {
    if (settings == null || !(settings.get("survey") instanceof Map<?, ?> survey) || !(survey.get("questions") instanceof List<?> list)
        || list.isEmpty()) {
      return null;
    }
    List<Question> questions = new ArrayList<>();
    for (Object item : list) {
      Map<String, Object> q = (Map<String, Object>) item;
      Map<String, Object> askIf = (Map<String, Object>) q.get("ask_if");
      questions.add(new Question((String) q.get("id"), (String) q.get("text"),
          q.get("options") == null ? List.of() : List.copyOf((List<String>) q.get("options")),
          !Boolean.FALSE.equals(q.get("required")),
          askIf == null ? null : (String) askIf.get("question"),
          askIf == null ? List.of() : List.copyOf((List<String>) askIf.get("answers"))));
    }
    Object completion = survey.get("completion_message");
    return new SurveyScript(questions, completion instanceof String text ? text : DEFAULT_COMPLETION_MESSAGE);
  }

  // ---- answering ---------------------------------------------------------------------------

  /**
   * Checks {@code content} against the question at {@code index} and, when it fits, says
   * what to store and which question comes next given {@code answers} (the answers so far).
   * A blank answer skips a question that is not required.
   */
  public Outcome answer(int index, Map<String, Object> answers, String content) {
    Question question = question(index);
    String trimmed = content.strip();
    if (trimmed.isEmpty()) {
      if (question.required()) {
        return refusal("ANSWER_REQUIRED", "An answer is required for this question");
      }
      return advance(index, answers, question, null, "");
    }
    if (question.hasOptions()) {
      String option = canonicalOption(question, trimmed);
      if (option == null) {
        return refusal("INVALID_OPTION", "Please choose one of the options: " + String.join(", ", question.options()));
      }
      return advance(index, answers, question, option, option);
    }
    return advance(index, answers, question, trimmed, trimmed);
  }

  private Outcome advance(int index, Map<String, Object> answers, Question question, String answer, String content) {
    Map<String, Object> after = new java.util.HashMap<>(answers);
    after.put(question.id(), answer);
    int next = nextIndex(index, after);
    return new Outcome(null, null, answer, content, next, next >= questions.size());
  }

  /** The first question after {@code index} that should be asked given {@code answers}; size() when none is left. */
  int nextIndex(int index, Map<String, Object> answers) {
    for (int j = index + 1; j < questions.size(); j++) {
      Question candidate = questions.get(j);
      if (candidate.askIfQuestion() == null) {
        return j;
      }
      if (answers.get(candidate.askIfQuestion()) instanceof String given
          && candidate.askIfAnswers().stream().anyMatch(a -> normal(a).equals(normal(given)))) {
        return j;
      }
    }
    return questions.size();
  }

  private static Outcome refusal(String code, String text) {
    return new Outcome(code, text, null, null, -1, false);
  }

  private static String canonicalOption(Question question, String given) {
    String wanted = normal(given);
    return question.options().stream().filter(o -> normal(o).equals(wanted)).findFirst().orElse(null);
  }

  private static String normal(String text) {
    return text.strip().toLowerCase(Locale.ROOT);
  }
}
