package org.kvplace.core.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.DoubleUnaryOperator;
import org.kvplace.core.placement.OraclePolicy;
import org.kvplace.core.trace.TraceSource;

/**
 * Simulated annealing over the oracle's {@code (Wn, R)}: the oracle bound is the best total
 * time found. {@code Wn} ranges over {@code [1, maxWindow]}, {@code R} over the grid
 * {@code 0.05, 0.10, ..., 1.00}. Each candidate is one full replay of the trace (cached, so a
 * revisited point costs nothing). A move changes {@code Wn} by up to a quarter of its range
 * and {@code R} by up to 0.2; a worse point is accepted with probability
 * {@code exp(-(T' - T) / (T * temperature))}, the temperature falling geometrically from
 * 0.05 to 0.001 over the budget. Seeded and deterministic. Not thread-safe.
 *
 * <p><b>Threads.</b> The chain is sequential: each next point follows from the last result. With
 * {@link #threads(int) threads(n)}, {@code n > 1}, the search replays the point the chain needs
 * and, on the other threads, the points it would need next: after a candidate the chain goes on
 * from it (it was not worse, or it was worse and accepted) or from the current point (rejected),
 * each with its own next proposal. The guess runs the chain's own rule, its random draw included,
 * on assumed times for the candidate: each relative difference {@code T'/T - 1} seen so far, the
 * next point most of them lead to first (before any is seen: the outcome that happened most
 * often); once the candidate's replay is 85% done, its time so far extrapolated by the last steps'
 * ratio to the current point's. (Earlier extrapolations mislead: placements that differ in the
 * end often cost the same over the first two thirds of a trace.) A guess that turns out wrong is
 * cancelled and wasted; between guesses equally likely, one already replaying is kept. The chain
 * itself, and so the outcome, is the same as with one thread (the same points in the same order,
 * the same best). The source is then opened from several threads at once (the generator's and the
 * trace file's sources, and {@link org.kvplace.core.trace.Traces#inMemory}, allow that). The
 * simulator's progress listener sees only the replay the chain is waiting for.
 */
public final class AnnealingSearch {

    /**
     * One evaluated point.
     *
     * @param window Wn
     * @param fraction R
     * @param replay its replay, with the references of the trace
     */
    public record Point(int window, double fraction, Replay replay) {

        /** The oracle's result at this point: {@code replay().result()}. */
        public SimulationResult result() {
            return replay.result();
        }
    }

    /**
     * The outcome: the best point, every point evaluated, in order, and how many replays were
     * started for them (with several threads, guesses that were not needed or were cancelled
     * count too; on one thread it is the number of points).
     */
    public record Outcome(Point best, List<Point> evaluated, int replays) {}

    private final Simulator simulator;
    private final int maxWindow;
    private final int budget;
    private final long seed;
    private int threads = 1;

    /**
     * A search with the given limits, on one thread.
     *
     * @param simulator the simulator (its progress listener sees every replay)
     * @param maxWindow largest {@code Wn}, at least 1
     * @param budget    distinct replays at most, at least 1
     * @param seed      random seed
     * @throws IllegalArgumentException naming the bad value
     */
    public AnnealingSearch(Simulator simulator, int maxWindow, int budget, long seed) {
        if (maxWindow < 1 || budget < 1) {
            throw new IllegalArgumentException("maxWindow and budget must be >= 1, got " + maxWindow + " and " + budget);
        }
        this.simulator = simulator;
        this.maxWindow = maxWindow;
        this.budget = budget;
        this.seed = seed;
    }

    /**
     * Replays on up to {@code n} threads at once (see the class comment); the outcome does not
     * depend on it. Returns this.
     *
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public AnnealingSearch threads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        this.threads = n;
        return this;
    }

    /**
     * Searches, starting from {@code Wn = min(8, maxWindow)}, {@code R = 1}.
     *
     * @throws IOException if the trace cannot be read
     */
    public Outcome search(TraceSource source) throws IOException {
        Map<Long, Replay> known = new HashMap<>();
        Walk walk;
        int replays;
        if (threads == 1) {
            walk = walk((key, current, currentTime) -> {
                Replay r = known.get(key);
                if (r == null) {
                    r = simulator.replay(source, policy(key), simulator.progressListener());
                    known.put(key, r);
                }
                return r.result().totalTime();
            });
            replays = known.size();
        } else {
            try (Speculation s = new Speculation(source, known)) {
                walk = walk(s);
                replays = s.started();
            }
        }
        List<Point> order = new ArrayList<>(walk.order().size());
        Point best = null;
        for (long key : walk.order()) {
            Point p = new Point(window(key), fraction(key), known.get(key));
            order.add(p);
            if (key == walk.best()) {
                best = p;
            }
        }
        return new Outcome(best, List.copyOf(order), replays);
    }

    /** The total time of a point; the chain's only input. */
    private interface Times {
        /**
         * The total time of the point {@code key}, asked by a chain whose current point is
         * {@code current} and takes {@code currentTime} seconds (-1 and {@code NaN} for the first
         * point).
         */
        double time(long key, long current, double currentTime) throws IOException;

        /** The chain went on from a candidate: 0 not worse, 1 worse and accepted, 2 rejected. */
        default void decided(int outcome) {}
    }

    /** The points evaluated, in order, and the best one: what the chain decided. */
    private record Walk(List<Long> order, long best) {}

    // The annealing chain: a pure function of the points' times (the same for every Times that
    // gives the same times), so that guesses of what it needs next run the very same code.
    private Walk walk(Times times) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<Long, Double> seen = new HashMap<>();
        List<Long> order = new ArrayList<>();
        int w = Math.min(8, maxWindow);
        int r = 20; // R = r / 20
        long cur = key(w, r);
        double curTime = time(times, cur, -1, Double.NaN, seen, order);
        long best = cur;
        double bestTime = curTime;
        int moves = 0;
        while (order.size() < budget && moves < budget * 20) {
            moves++;
            double progress = (double) order.size() / budget;
            double temperature = 0.05 * Math.pow(0.001 / 0.05, progress);
            int span = Math.max(1, maxWindow / 4);
            int nw = clamp(window(cur) + rnd.nextInt(-span, span + 1), 1, maxWindow);
            int nr = clamp(ratio(cur) + rnd.nextInt(-4, 5), 1, 20);
            if (nw == window(cur) && nr == ratio(cur)) {
                continue;
            }
            long cand = key(nw, nr);
            double t = time(times, cand, cur, curTime, seen, order);
            double dt = t - curTime;
            if (dt <= 0) {
                cur = cand;
                curTime = t;
                times.decided(0);
            } else if (rnd.nextDouble() < Math.exp(-dt / (curTime * temperature))) {
                cur = cand;
                curTime = t;
                times.decided(1);
            } else {
                times.decided(2);
            }
            if (t < bestTime) {
                best = cand;
                bestTime = t;
            }
        }
        return new Walk(order, best);
    }

    private static double time(Times times, long key, long current, double currentTime, Map<Long, Double> seen,
            List<Long> order) throws IOException {
        Double t = seen.get(key);
        if (t == null) {
            t = times.time(key, current, currentTime);
            seen.put(key, t);
            order.add(key);
        }
        return t;
    }

    private static long key(int w, int r) {
        return ((long) w << 8) | r;
    }

    private static int window(long key) {
        return (int) (key >>> 8);
    }

    private static int ratio(long key) {
        return (int) (key & 0xFF);
    }

    private static double fraction(long key) {
        return ratio(key) / 20.0;
    }

    private static OraclePolicy policy(long key) {
        return new OraclePolicy(window(key), fraction(key));
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /** Thrown by a guessing chain that needs a point whose time is not known. */
    private static final class Unknown extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long key;

        Unknown(long key) {
            super(null, null, false, false);
            this.key = key;
        }
    }

    /**
     * The chain's times from replays on a pool of threads: the point it waits for, and beside it
     * the points the chain would need next (see the class comment for the guess).
     */
    private final class Speculation implements Times, AutoCloseable {
        /** The share of its steps a replay has done before its time so far is extrapolated. */
        private static final double LATE = 0.85;

        private final TraceSource source;
        private final Map<Long, Replay> known;
        private final ExecutorService pool;
        private final ProgressListener listener = simulator.progressListener();
        // guarded by this:
        private final Map<Long, Task> running = new HashMap<>();
        private final Map<Long, double[]> curves = new HashMap<>();  // consumed points' times so far
        private final int[] outcomes = new int[3];
        private final List<Double> differences = new ArrayList<>();  // candidates' T' / T - 1
        private int signals;                                         // completions and reports
        private int started;

        Speculation(TraceSource source, Map<Long, Replay> known) {
            this.source = source;
            this.known = known;
            this.pool = Executors.newFixedThreadPool(threads,
                    Thread.ofPlatform().daemon().name("kvplace-search-", 0).factory());
        }

        @Override
        public synchronized void decided(int outcome) {
            outcomes[outcome]++;
        }

        @Override
        public synchronized double time(long key, long current, double currentTime) throws IOException {
            while (true) {
                Task t = running.get(key);
                if (t != null && t.done) {
                    running.remove(key);
                    if (t.failure != null) {
                        throw rethrow(t.failure);
                    }
                    known.put(key, t.replay);
                    if (!Double.isNaN(currentTime)) {
                        differences.add(t.replay.result().totalTime() / currentTime - 1);
                    }
                    curves.put(key, Arrays.copyOf(t.curve, t.reports));
                    return t.replay.result().totalTime();
                }
                schedule(key, current, currentTime);
                running.get(key).awaited = true;
                int seenSignals = signals;
                while (signals == seenSignals) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while waiting for a replay of the search", e);
                    }
                }
            }
        }

        // Runs `key` and the likeliest next points, as many as there are threads; cancels the rest.
        private void schedule(long key, long current, double currentTime) {
            Set<Long> wanted = new LinkedHashSet<>();
            wanted.add(key);
            double estimate = estimate(key, current, currentTime);
            if (!Double.isNaN(estimate)) {
                // an estimate within the margin of the chain's decision could go either way: then a
                // guess already running for one of the ways is kept rather than restarted (margin:
                // about 1% of the current time at 85% done, 0.2% at the end)
                Task t = running.get(key);
                double margin = currentTime * (0.002 + 0.05 * (1 - t.progress()));
                add(wanted, keepRunning(key, Arrays.asList(   // elements may be null
                        guess(key, cur -> estimate), guess(key, cur -> estimate - margin),
                        guess(key, cur -> estimate + margin))));
            }
            if (!differences.isEmpty()) {
                // what the chain needs next under each relative difference seen so far, by votes
                Map<Long, Integer> votes = new LinkedHashMap<>();
                for (double d : differences) {
                    Long next = guess(key, cur -> (Double.isNaN(cur) ? 1 : cur) * (1 + d));
                    if (next != null) {
                        votes.merge(next, 1, Integer::sum);
                    }
                }
                List<Long> ranked = new ArrayList<>(votes.keySet());
                ranked.sort((x, y) -> votes.get(y) - votes.get(x));
                if (!ranked.isEmpty()) {
                    List<Long> top = new ArrayList<>();
                    for (long k : ranked) {
                        if (votes.get(k).equals(votes.get(ranked.get(0)))) {
                            top.add(k);
                        }
                    }
                    add(wanted, keepRunning(key, top));
                }
                for (long k : ranked) {
                    add(wanted, k);
                }
            }
            for (int outcome : likeliest()) {
                // not worse; worse by a hair (accepted but for a draw above 1 - 1e-9); far worse
                double factor = outcome == 0 ? 1 : outcome == 1 ? 1 + 1e-12 : 1e9;
                add(wanted, guess(key, cur -> (Double.isNaN(cur) ? 1 : cur) * factor));
            }
            for (var it = running.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (!wanted.contains(e.getKey()) && !e.getValue().done) {
                    e.getValue().cancelled = true;
                    it.remove();
                }
            }
            for (long k : wanted) {
                if (!running.containsKey(k) && !known.containsKey(k)) {
                    Task t = new Task(k);
                    started++;
                    running.put(k, t);
                    pool.execute(t);
                }
            }
        }

        private void add(Set<Long> wanted, Long key) {
            if (key != null && wanted.size() < threads) {
                wanted.add(key);
            }
        }

        // Of guesses that are equally good, one already replaying (no restart); else the first.
        private Long keepRunning(long pending, List<Long> guesses) {
            for (Long g : guesses) {
                Task t = g == null ? null : running.get(g);
                if (g != null && g != pending && t != null && !t.done) {
                    return g;
                }
            }
            return guesses.get(0);
        }

        // The total of the replay of `key` extrapolated from its last reports, once it has gone
        // LATE of the way: its time so far plus the current point's time still to come, scaled by
        // the ratio of the two replays' times over their last four reports. (Over the first two
        // thirds or so of a trace, placements that differ in the end often cost the same.)
        private double estimate(long key, long current, double currentTime) {
            Task t = running.get(key);
            double[] c = curves.get(current);
            if (t == null || c == null || t.progress() < LATE) {
                return Double.NaN;
            }
            int i = Math.min(t.reports, c.length) - 1;
            int j = i - 4;
            if (j < 0 || !(c[i] > c[j])) {
                return Double.NaN;
            }
            return t.curve[i] + (currentTime - c[i]) * (t.curve[i] - t.curve[j]) / (c[i] - c[j]);
        }

        // The outcomes 0, 1, 2 by how often each happened so far (ties: rejected, not worse, accepted).
        private int[] likeliest() {
            int[] order = {2, 0, 1};
            for (int i = 1; i < 3; i++) {
                for (int j = i; j > 0 && outcomes[order[j]] > outcomes[order[j - 1]]; j--) {
                    int x = order[j];
                    order[j] = order[j - 1];
                    order[j - 1] = x;
                }
            }
            return order;
        }

        // The first point of unknown time the chain needs after `pending` if `pending` takes
        // pendingTime(current point's time) seconds; null if it needs none.
        private Long guess(long pending, DoubleUnaryOperator pendingTime) {
            Times guessed = (k, cur, curTime) -> {
                if (known.containsKey(k)) {
                    return known.get(k).result().totalTime();
                }
                Task t = running.get(k);
                if (t != null && t.done && t.failure == null) {
                    return t.replay.result().totalTime();
                }
                if (k != pending) {
                    throw new Unknown(k);
                }
                return pendingTime.applyAsDouble(curTime);
            };
            try {
                walk(guessed);
                return null;
            } catch (Unknown u) {
                return u.key;
            } catch (IOException e) {
                throw new UncheckedIOException(e); // the guessing times never read anything
            }
        }

        private static IOException rethrow(Throwable t) {
            if (t instanceof IOException io) {
                return io;
            }
            if (t instanceof RuntimeException re) {
                throw re;
            }
            throw (Error) t;
        }

        synchronized int started() {
            return started;
        }

        /** Cancels every replay still running and waits for the pool's threads to end. */
        @Override
        public void close() {
            synchronized (this) {
                for (Task t : running.values()) {
                    t.cancelled = true;
                }
                running.clear();
            }
            pool.close();
        }

        /** One replay; a cancelled one stops at its next progress report. */
        private final class Task implements Runnable, TimedProgress {
            final long key;
            volatile boolean cancelled;
            volatile boolean awaited;
            // guarded by Speculation.this:
            boolean done;
            Replay replay;
            Throwable failure;
            double[] curve = new double[64];  // the modelled time after each PROGRESS_EVERY steps
            int reports;
            long total;

            double progress() {
                return total == 0 ? 0 : (double) reports * ReplayLoop.PROGRESS_EVERY / total;
            }

            Task(long key) {
                this.key = key;
            }

            @Override
            public void run() {
                Replay r = null;
                Throwable f = null;
                if (!cancelled) {
                    try {
                        r = simulator.replay(source, policy(key), this);
                    } catch (IOException | RuntimeException | Error e) {
                        f = e;
                    }
                }
                synchronized (Speculation.this) {
                    replay = r;
                    failure = r == null && f == null ? new CancellationException() : f;
                    done = true;
                    signals++;
                    Speculation.this.notifyAll();
                }
            }

            @Override
            public void progress(long done, long total, double timeSoFar) {
                if (cancelled) {
                    throw new CancellationException("replay of Wn=" + window(key) + " R=" + fraction(key)
                            + " no longer needed");
                }
                if (done == (long) (reports + 1) * ReplayLoop.PROGRESS_EVERY) {
                    synchronized (Speculation.this) {
                        this.total = total;
                        if (reports == curve.length) {
                            curve = Arrays.copyOf(curve, 2 * reports);
                        }
                        curve[reports++] = timeSoFar;
                        if (awaited) {
                            signals++;
                            Speculation.this.notifyAll();
                        }
                    }
                }
                if (awaited) {
                    synchronized (listener) {
                        listener.progress(done, total);
                    }
                }
            }
        }
    }
}
