package org.kvplace.core.engine;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The measured step times of an engine's sequences: recorded wait-free and without allocation by
 * the decode threads, summarised into {@link StepTimes} on demand.
 */
final class StepClock {

    private static final long MAX_STEP_NANOS = 3_600_000_000_000L;

    private final Recorder recorder = new Recorder(MAX_STEP_NANOS, 3);
    private final Histogram interval = new Histogram(MAX_STEP_NANOS, 3);
    private final Histogram history = new Histogram(MAX_STEP_NANOS, 3);

    /** Records one step's time (any thread; wait-free); clamped to [1 ns, 1 h]. */
    void record(long nanos) {
        recorder.recordValue(Math.min(Math.max(nanos, 1), MAX_STEP_NANOS));
    }

    /** Percentiles of every step recorded so far. */
    synchronized StepTimes times() {
        recorder.getIntervalHistogramInto(interval);
        history.add(interval);
        return new StepTimes(history.getTotalCount(), history.getValueAtPercentile(50),
                history.getValueAtPercentile(90), history.getValueAtPercentile(99), history.getMaxValue());
    }
}
