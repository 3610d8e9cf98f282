package org.kvplace.core.model;

/**
 * The per-step time of DESIGN section 2 for one hardware profile and one model. Immutable and
 * thread-safe; the {@code double}-returning methods allocate nothing.
 *
 * <p>Every byte argument is the step's total over the batch (KV bytes already multiplied by
 * {@link ModelProfile#batch()}); the weights {@code W} of one layer come from the model and are
 * added by this class. With {@code a} the KV bytes read from the fast tier, {@code D_A} all KV
 * bytes read, {@code D_W} the new KV bytes written ({@code beta} = 1 when they go to the fast
 * tier), {@code P} bytes promoted and {@code E} bytes demoted:
 * <pre>
 * t_F = (W + a + beta*D_W + P + E) / B_F
 * t_S = max((D_A - a + P) / B_read, ((1-beta)*D_W + E) / B_write, (D_A - a + P + (1-beta)*D_W + E) / B_dram)
 * T   = max(t_F, t_S)
 * </pre>
 */
public final class CostModel {

    private final HardwareProfile hw;
    private final ModelProfile model;
    private final double w;

    /**
     * A cost model for one profile and one model.
     *
     * @throws IllegalArgumentException if the model's weights alone exceed the fast capacity
     */
    public CostModel(HardwareProfile hw, ModelProfile model) {
        this.hw = java.util.Objects.requireNonNull(hw, "hw");
        this.model = java.util.Objects.requireNonNull(model, "model");
        if (model.totalWeightBytes() > hw.fastCapacity()) {
            throw new IllegalArgumentException("model " + model.name() + " weights (" + model.totalWeightBytes()
                    + " bytes) exceed the fast capacity of " + hw.name() + " (" + hw.fastCapacity() + " bytes)");
        }
        this.w = model.weightBytesPerLayer();
    }

    /** The hardware profile. */
    public HardwareProfile hardware() {
        return hw;
    }

    /** The model profile. */
    public ModelProfile model() {
        return model;
    }

    /**
     * Checks that the KV of {@code tokens} tokens (all layers, the whole batch) fits the tiers:
     * {@code tokens x layers x kvBytesPerToken x batch <= (C_F - W_total) + slowCapacity}. A run
     * that passes has no byte count that overflows a {@code long}.
     *
     * @throws IllegalArgumentException naming the bytes needed and the capacities ({@code
     *     fast.capacity}, {@code slow.capacity}) they exceed
     */
    public void checkFits(long tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must be >= 0, got " + tokens);
        }
        java.math.BigInteger need = java.math.BigInteger.valueOf(tokens)
                .multiply(java.math.BigInteger.valueOf(model.layers()))
                .multiply(java.math.BigInteger.valueOf(model.kvBytesPerToken()))
                .multiply(java.math.BigInteger.valueOf(model.batch()));
        long fastKv = Math.max(0, fastKvCapacity());
        java.math.BigInteger room = java.math.BigInteger.valueOf(fastKv)
                .add(java.math.BigInteger.valueOf(hw.slowCapacity()));
        if (need.compareTo(room) > 0) {
            throw new IllegalArgumentException("the KV of " + tokens + " tokens x " + model.layers() + " layers x "
                    + model.kvBytesPerToken() + " bytes (kv.bytes.per.token) x batch " + model.batch() + " = " + need
                    + " bytes does not fit " + hw.name() + ": " + fastKv + " bytes of fast.capacity left after the"
                    + " weights + " + hw.slowCapacity() + " bytes of slow.capacity = " + room + " bytes");
        }
    }

    /** Fast-tier bytes left for KV after the weights, {@code C_F - W_total}, for the whole batch. */
    public long fastKvCapacity() {
        return hw.fastCapacity() - model.totalWeightBytes();
    }

    /** {@code t_F}: fast-tier seconds for the given bytes (weights added here). */
    public double fastTime(long readFast, long writeFast, long promoted, long demoted) {
        return (w + readFast + writeFast + promoted + demoted) / hw.fastBandwidth();
    }

    /** {@code t_S}: slow-side seconds, the slowest of link read, link write and DRAM. */
    public double slowTime(long readSlow, long writeSlow, long promoted, long demoted) {
        double linkRead = (readSlow + (double) promoted) / hw.slowRead();
        double linkWrite = (writeSlow + (double) demoted) / hw.slowWrite();
        double dram = (readSlow + (double) promoted + writeSlow + demoted) / hw.slowDram();
        return Math.max(linkRead, Math.max(linkWrite, dram));
    }

    /**
     * {@code T(n,l)} for one step.
     *
     * @param readBytes     {@code D_A}, KV bytes read
     * @param readFastBytes {@code a}, the part of them read from the fast tier
     * @param writeBytes    {@code D_W}, new KV bytes written
     * @param writeFast     {@code beta == 1}: the new KV goes to the fast tier
     * @param promoted      {@code P}, bytes moved slow to fast
     * @param demoted       {@code E}, bytes moved fast to slow
     * @throws IllegalArgumentException if a size is negative or {@code readFastBytes > readBytes}
     */
    public double stepTime(long readBytes, long readFastBytes, long writeBytes, boolean writeFast, long promoted,
            long demoted) {
        if ((readBytes | readFastBytes | writeBytes | promoted | demoted) < 0 || readFastBytes > readBytes) {
            throw new IllegalArgumentException("bad step sizes: readBytes=" + readBytes + " readFastBytes="
                    + readFastBytes + " writeBytes=" + writeBytes + " promoted=" + promoted + " demoted=" + demoted);
        }
        long wf = writeFast ? writeBytes : 0;
        long ws = writeFast ? 0 : writeBytes;
        return Math.max(fastTime(readFastBytes, wf, promoted, demoted),
                slowTime(readBytes - readFastBytes, ws, promoted, demoted));
    }

    /** {@link #stepTime} with its two sides, as a record (allocates; for reports and tests). */
    public StepCost step(long readBytes, long readFastBytes, long writeBytes, boolean writeFast, long promoted,
            long demoted) {
        double t = stepTime(readBytes, readFastBytes, writeBytes, writeFast, promoted, demoted);
        long wf = writeFast ? writeBytes : 0;
        long ws = writeFast ? 0 : writeBytes;
        return new StepCost(fastTime(readFastBytes, wf, promoted, demoted),
                slowTime(readBytes - readFastBytes, ws, promoted, demoted), t);
    }

    /** The all-fast reference: unlimited fast capacity, {@code T = (W + D_A + D_W) / B_F}. */
    public double allFastStepTime(long readBytes, long writeBytes) {
        return (w + readBytes + writeBytes) / hw.fastBandwidth();
    }

    /**
     * The balanced bound for one step: the least {@code max(t_F, t_S)} over a fast share
     * {@code a} in {@code [0, min(D_A, C_F - W_total)]} (continuous) and {@code beta} in {0, 1},
     * with no migration. No placement, online or clairvoyant, has a lower step time.
     */
    public double balancedStepTime(long readBytes, long writeBytes) {
        double amax = Math.min((double) readBytes, (double) Math.max(0, fastKvCapacity()));
        double a1 = argmin(readBytes, writeBytes, 0, amax);
        double a0 = argmin(readBytes, 0, writeBytes, amax);
        return Math.min(f(readBytes, writeBytes, 0, a1), f(readBytes, 0, writeBytes, a0));
    }

    /** The fast share {@code a} in bytes at which {@link #balancedStepTime} is attained. */
    public double balancedFastShare(long readBytes, long writeBytes) {
        double amax = Math.min((double) readBytes, (double) Math.max(0, fastKvCapacity()));
        double a1 = argmin(readBytes, writeBytes, 0, amax);
        double a0 = argmin(readBytes, 0, writeBytes, amax);
        return f(readBytes, writeBytes, 0, a1) <= f(readBytes, 0, writeBytes, a0) ? a1 : a0;
    }

    // The step time as a function of the fast share a, with wf bytes written to F and ws to S.
    private double f(double da, double wf, double ws, double a) {
        double tf = (w + a + wf) / hw.fastBandwidth();
        double ts = Math.max(Math.max((da - a) / hw.slowRead(), ws / hw.slowWrite()), (da - a + ws) / hw.slowDram());
        return Math.max(tf, ts);
    }

    // f is the max of four lines in a, hence convex: its minimum on [0, amax] lies at an end or
    // where two lines cross. Evaluate all of those (exact, no iteration, no allocation).
    private double argmin(double da, double wf, double ws, double amax) {
        double bf = hw.fastBandwidth();
        double bd = hw.slowDram();
        double br = hw.slowRead();
        double bw = hw.slowWrite();
        double best = f(da, wf, ws, 0);
        double bestA = 0;
        double fm = f(da, wf, ws, amax);
        if (fm < best) {
            best = fm;
            bestA = amax;
        }
        // crossings: fast line (w+wf+a)/bf with the three slow lines and the slow lines with each other
        double c;
        c = (da / br - (w + wf) / bf) / (1 / bf + 1 / br);                  // fast = link read
        if (c > 0 && c < amax && (fm = f(da, wf, ws, c)) < best) { best = fm; bestA = c; }
        c = (ws / bw - (w + wf) / bf) * bf;                                  // fast = link write
        if (c > 0 && c < amax && (fm = f(da, wf, ws, c)) < best) { best = fm; bestA = c; }
        c = ((da + ws) / bd - (w + wf) / bf) / (1 / bf + 1 / bd);           // fast = dram
        if (c > 0 && c < amax && (fm = f(da, wf, ws, c)) < best) { best = fm; bestA = c; }
        c = da - ws / bw * br;                                               // link read = link write
        if (c > 0 && c < amax && (fm = f(da, wf, ws, c)) < best) { best = fm; bestA = c; }
        c = da + ws - ws / bw * bd;                                          // dram = link write
        if (c > 0 && c < amax && (fm = f(da, wf, ws, c)) < best) { best = fm; bestA = c; }
        if (br != bd) {                                                      // link read = dram
            c = (da / br - (da + ws) / bd) / (1 / br - 1 / bd);
            if (c > 0 && c < amax && (fm = f(da, wf, ws, c)) < best) { best = fm; bestA = c; }
        }
        return bestA;
    }
}
