package org.kvplace.core.engine;

/**
 * Percentiles of the measured step times of an engine's sequences (from one {@code endStep} to the
 * next), to three significant digits.
 *
 * @param steps steps recorded
 * @param p50Nanos median step time
 * @param p90Nanos 90th percentile
 * @param p99Nanos 99th percentile
 * @param maxNanos longest step
 */
public record StepTimes(long steps, long p50Nanos, long p90Nanos, long p99Nanos, long maxNanos) {}
