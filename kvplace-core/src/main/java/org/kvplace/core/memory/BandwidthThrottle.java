package org.kvplace.core.memory;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Charges every transfer of {@code b} bytes {@code b / B} of real time, so that an ordinary DRAM
 * slab behaves like a link of bandwidth {@code B}.
 *
 * <p>The throttle is a token bucket kept in nanoseconds: a virtual clock (the <em>horizon</em>)
 * records when the emulated link finishes the transfers charged so far. A transfer starts at the
 * later of the horizon and {@code now - burst}, ends {@code b / B} later, and the caller waits
 * until that end. The burst allowance lets the time a caller spends doing the actual copy overlap
 * with the modelled transfer time, so back-to-back transfers achieve {@code B} rather than
 * {@code B} minus the copy cost; an idle link accrues at most {@code burst} nanoseconds of credit.
 * How a caller waits is its choice ({@link Wait}): {@link Wait#PRECISE} spins through waits
 * shorter than {@link #PARK_THRESHOLD_NANOS} and parks through longer ones; {@link Wait#YIELDING}
 * always parks, leaving the core to other threads.
 *
 * <p>The horizon is kept in picoseconds since the throttle was created, so small transfers are
 * charged exactly (a 128-byte transfer at 450 GB/s costs 284 ps, not a whole nanosecond); it
 * overflows after about 100 days of one throttle's life.
 *
 * <p>Thread-safe: concurrent callers share the link and are serialised on the horizon, as
 * transfers in one direction of one physical link would be.
 */
public final class BandwidthThrottle {

    /**
     * How a caller waits for the link.
     */
    public enum Wait {
        /**
         * Waits shorter than {@link #PARK_THRESHOLD_NANOS} spin, so the caller resumes on time; for
         * the readers whose time is measured (the lanes of a decode step).
         */
        PRECISE,
        /**
         * Every wait parks, leaving the core to other threads; the thread may resume late (the
         * operating system's timer slack, tens of microseconds), and the burst allowance lets the
         * next transfers make up for that, so a stream of transfers keeps about the configured rate.
         * For background transfers (page migrations) on a machine with fewer cores than busy threads.
         */
        YIELDING
    }

    /** Waits longer than this park the thread (minus a margin); shorter ones spin. */
    public static final long PARK_THRESHOLD_NANOS = 200_000L;
    private static final long PARK_MARGIN_NANOS = 100_000L;

    /** Default burst allowance in nanoseconds. */
    public static final long DEFAULT_BURST_NANOS = 50_000L;

    private final double bytesPerSecond;
    private final double picosPerByte;
    private final long burstNanos;
    private final long burstPicos;
    private final long origin = System.nanoTime();
    private final AtomicLong horizon = new AtomicLong(Long.MIN_VALUE / 2); // picoseconds since origin
    private final LongAdder bytesCharged = new LongAdder();
    private final LongAdder nanosWaited = new LongAdder();

    private BandwidthThrottle(double bytesPerSecond, long burstNanos) {
        if (!(bytesPerSecond > 0) || Double.isInfinite(bytesPerSecond)) {
            throw new IllegalArgumentException(
                    "bandwidth must be positive and finite, got bytesPerSecond=" + bytesPerSecond);
        }
        if (burstNanos < 0) {
            throw new IllegalArgumentException("burstNanos must be >= 0, got " + burstNanos);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.picosPerByte = 1e12 / bytesPerSecond;
        this.burstNanos = burstNanos;
        this.burstPicos = Math.multiplyExact(burstNanos, 1000L);
    }

    /**
     * A throttle of the given bandwidth with the default burst allowance.
     *
     * @param bytesPerSecond bandwidth in bytes per second, positive and finite
     * @throws IllegalArgumentException if the bandwidth is not positive and finite
     */
    public static BandwidthThrottle ofBytesPerSecond(double bytesPerSecond) {
        return new BandwidthThrottle(bytesPerSecond, DEFAULT_BURST_NANOS);
    }

    /**
     * A throttle of the given bandwidth and burst allowance.
     *
     * @param bytesPerSecond bandwidth in bytes per second, positive and finite
     * @param burstNanos credit in nanoseconds an idle link may accumulate, {@code >= 0}
     */
    public static BandwidthThrottle of(double bytesPerSecond, long burstNanos) {
        return new BandwidthThrottle(bytesPerSecond, burstNanos);
    }

    /**
     * A throttle at {@code ratio} times a fast tier's bandwidth, for example
     * {@code 450.0 / 4900.0} of the measured fast bandwidth to emulate a GH200's slow tier.
     *
     * @param ratio slow bandwidth over fast bandwidth, in (0, 1]
     * @param fastBytesPerSecond the fast tier's bandwidth in bytes per second (typically measured,
     *     see {@link MemoryBandwidth#measureCopy})
     */
    public static BandwidthThrottle ofRatio(double ratio, double fastBytesPerSecond) {
        if (!(ratio > 0 && ratio <= 1)) {
            throw new IllegalArgumentException("ratio must be in (0, 1], got " + ratio);
        }
        return ofBytesPerSecond(ratio * fastBytesPerSecond);
    }

    /** The configured bandwidth in bytes per second. */
    public double bytesPerSecond() {
        return bytesPerSecond;
    }

    /** The burst allowance in nanoseconds. */
    public long burstNanos() {
        return burstNanos;
    }

    /**
     * Charges a transfer of {@code bytes} and returns once the emulated link has carried it.
     *
     * @param bytes bytes transferred; zero or negative charges nothing
     */
    public void acquire(long bytes) {
        acquire(bytes, Wait.PRECISE);
    }

    /**
     * Charges a transfer of {@code bytes} and returns once the emulated link has carried it,
     * waiting as {@code wait} says.
     *
     * @param bytes bytes transferred; zero or negative charges nothing
     * @param wait how to wait
     */
    public void acquire(long bytes, Wait wait) {
        if (bytes <= 0) {
            return;
        }
        bytesCharged.add(bytes);
        long cost = Math.round(bytes * picosPerByte);
        long now = (System.nanoTime() - origin) * 1000L;
        long prev;
        long end;
        do {
            prev = horizon.get();
            end = Math.max(prev, now - burstPicos) + cost;
        } while (!horizon.compareAndSet(prev, end));
        awaitUntil(origin + (end + 999) / 1000, wait == Wait.YIELDING);
    }

    private void awaitUntil(long deadline, boolean yielding) {
        long start = System.nanoTime();
        long remaining = deadline - start;
        if (remaining <= 0) {
            return;
        }
        while (remaining > 0) {
            if (yielding) {
                LockSupport.parkNanos(remaining);
            } else if (remaining > PARK_THRESHOLD_NANOS) {
                LockSupport.parkNanos(remaining - PARK_MARGIN_NANOS);
            } else {
                Thread.onSpinWait();
            }
            remaining = deadline - System.nanoTime();
        }
        nanosWaited.add(System.nanoTime() - start);
    }

    /** Total bytes charged since creation. */
    public long bytesCharged() {
        return bytesCharged.sum();
    }

    /** Total nanoseconds callers spent waiting on this throttle since creation. */
    public long nanosWaited() {
        return nanosWaited.sum();
    }

    @Override
    public String toString() {
        return String.format("BandwidthThrottle[%.3f GB/s, burst %d ns]", bytesPerSecond / 1e9, burstNanos);
    }
}
