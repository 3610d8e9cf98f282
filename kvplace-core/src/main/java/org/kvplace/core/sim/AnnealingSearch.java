package org.kvplace.core.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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

    /** The outcome: the best point and every point evaluated, in order. */
    public record Outcome(Point best, List<Point> evaluated) {}

    private final Simulator simulator;
    private final int maxWindow;
    private final int budget;
    private final long seed;

    /**
     * A search with the given limits.
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
     * Searches, starting from {@code Wn = min(8, maxWindow)}, {@code R = 1}.
     *
     * @throws IOException if the trace cannot be read
     */
    public Outcome search(TraceSource source) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<Long, Point> cache = new HashMap<>();
        List<Point> order = new ArrayList<>();
        int w = Math.min(8, maxWindow);
        int r = 20; // R = r / 20
        Point cur = eval(source, w, r, cache, order);
        Point best = cur;
        int moves = 0;
        while (order.size() < budget && moves < budget * 20) {
            moves++;
            double progress = (double) order.size() / budget;
            double temperature = 0.05 * Math.pow(0.001 / 0.05, progress);
            int span = Math.max(1, maxWindow / 4);
            int nw = clamp(cur.window() + rnd.nextInt(-span, span + 1), 1, maxWindow);
            int nr = clamp((int) Math.round(cur.fraction() * 20) + rnd.nextInt(-4, 5), 1, 20);
            if (nw == cur.window() && nr == (int) Math.round(cur.fraction() * 20)) {
                continue;
            }
            Point cand = eval(source, nw, nr, cache, order);
            double t = cur.result().totalTime();
            double dt = cand.result().totalTime() - t;
            if (dt <= 0 || rnd.nextDouble() < Math.exp(-dt / (t * temperature))) {
                cur = cand;
            }
            if (cand.result().totalTime() < best.result().totalTime()) {
                best = cand;
            }
        }
        return new Outcome(best, List.copyOf(order));
    }

    private Point eval(TraceSource source, int w, int r, Map<Long, Point> cache, List<Point> order)
            throws IOException {
        long key = ((long) w << 8) | r;
        Point p = cache.get(key);
        if (p == null) {
            double fraction = r / 20.0;
            p = new Point(w, fraction, simulator.replay(source, new OraclePolicy(w, fraction)));
            cache.put(key, p);
            order.add(p);
        }
        return p;
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
