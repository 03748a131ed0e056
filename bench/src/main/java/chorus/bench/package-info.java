/**
 * Load tools that run beside Chorus, never inside it: the ops drill's reconnecting client
 * ({@code scripts/ops-test}) and the benchmark load generator ({@code scripts/bench}).
 */
package chorus.bench;
