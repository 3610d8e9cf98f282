package org.kvplace.core.model;

import java.util.Objects;

/**
 * The per-step time of the paper author's public simulator with its inclusive option, for one
 * hardware profile and one model: the model the paper's figures were computed with. It differs
 * from kvplace's {@link CostModel} in ways that decide the results: new KV is always written to
 * the slow tier as well, a fast-tier unit keeps its slow copy, no step reads more than the
 * balanced share of its bytes from the fast tier, and the slow side's write and migration time
 * adds to its read time instead of overlapping it. Immutable and thread-safe; allocates nothing.
 *
 * <p>Per step, with {@code W} the weights of one layer, {@code D_A} the KV bytes read,
 * {@code D_R = W + D_A}, {@code D_W} the new KV bytes, {@code r} the KV bytes read that are
 * resident in the fast tier, {@code beta} = 1 when the new KV also goes to the fast tier,
 * {@code MF} the bytes moves write to the fast tier and {@code MR} the bytes moves read from the
 * slow tier beyond the step's own reads:
 * <pre>
 * alpha = min((W + r) / D_R, B_F / (B_F + min(B_SR, B_SD)))
 * T_F   = (alpha D_R + beta D_W + MF) / B_F
 * T_S   = max(D_W / B_SW, MR / B_SR, (MR + D_W) / B_SD) + ((1 - alpha) D_R + MR) / min(B_SR, B_SD)
 * T     = max(T_F, T_S)
 * </pre>
 */
public final class PaperCostModel {

    private final HardwareProfile hw;
    private final ModelProfile model;
    private final double w;
    private final double slowReadPath;
    private final double alphaCap;

    /**
     * A cost model for one profile and one model.
     *
     * @throws IllegalArgumentException if the model's weights alone exceed the fast capacity
     */
    public PaperCostModel(HardwareProfile hw, ModelProfile model) {
        this.hw = Objects.requireNonNull(hw, "hw");
        this.model = Objects.requireNonNull(model, "model");
        if (model.totalWeightBytes() > hw.fastCapacity()) {
            throw new IllegalArgumentException("model " + model.name() + " weights (" + model.totalWeightBytes()
                    + " bytes) exceed the fast capacity of " + hw.name() + " (" + hw.fastCapacity() + " bytes)");
        }
        this.w = model.weightBytesPerLayer();
        this.slowReadPath = Math.min(hw.slowRead(), hw.slowDram());
        this.alphaCap = hw.fastBandwidth() / (hw.fastBandwidth() + slowReadPath);
    }

    /** The hardware profile. */
    public HardwareProfile hardware() {
        return hw;
    }

    /** The model profile. */
    public ModelProfile model() {
        return model;
    }

    /** Fast-tier bytes left for KV after the weights, {@code C_F - W_total}, for the whole batch. */
    public long fastKvCapacity() {
        return hw.fastCapacity() - model.totalWeightBytes();
    }

    /** The balanced fast share, {@code B_F / (B_F + min(B_SR, B_SD))}: no step reads more from the fast tier. */
    public double alphaCap() {
        return alphaCap;
    }

    /**
     * The fast-tier share {@code alpha} of a step's read bytes {@code D_R}, weights included.
     *
     * @param readBytes     KV bytes read
     * @param residentBytes the part of them resident in the fast tier
     */
    public double alpha(long readBytes, long residentBytes) {
        double dr = w + readBytes;
        if (dr <= 0) {
            return 0;
        }
        double a = (w + residentBytes) / dr;
        return Math.min(alphaCap, Math.max(0, Math.min(1, a)));
    }

    /**
     * {@code T(n,l)} for one step.
     *
     * @param readBytes       {@code D_A}, KV bytes read
     * @param residentBytes   the part of them resident in the fast tier
     * @param writeBytes      {@code D_W}, new KV bytes (always written to the slow tier)
     * @param writeFast       {@code beta == 1}: the new KV is written to the fast tier as well
     * @param fastMoveBytes   {@code MF}, bytes moves write to the fast tier
     * @param slowMoveBytes   {@code MR}, bytes moves read from the slow tier beyond the step's reads
     * @throws IllegalArgumentException if a size is negative or {@code residentBytes > readBytes}
     */
    public double stepTime(long readBytes, long residentBytes, long writeBytes, boolean writeFast, long fastMoveBytes,
            long slowMoveBytes) {
        if ((readBytes | residentBytes | writeBytes | fastMoveBytes | slowMoveBytes) < 0
                || residentBytes > readBytes) {
            throw new IllegalArgumentException("bad step sizes: readBytes=" + readBytes + " residentBytes="
                    + residentBytes + " writeBytes=" + writeBytes + " fastMoveBytes=" + fastMoveBytes
                    + " slowMoveBytes=" + slowMoveBytes);
        }
        return time(w + readBytes, alpha(readBytes, residentBytes), writeBytes, writeFast ? writeBytes : 0,
                fastMoveBytes, slowMoveBytes);
    }

    /**
     * {@code T_F} of a step with {@code beta = 0}: the fast tier's seconds, without the cap on
     * the step time that the slow side sets.
     *
     * @param readBytes     {@code D_A}, KV bytes read
     * @param residentBytes the part of them resident in the fast tier
     * @param fastMoveBytes {@code MF}, bytes moves write to the fast tier
     */
    public double fastTime(long readBytes, long residentBytes, long fastMoveBytes) {
        double dr = w + readBytes;
        return tf(dr, alpha(readBytes, residentBytes), 0, fastMoveBytes);
    }

    /**
     * {@code T_S} of a step: the slow side's seconds.
     *
     * @param readBytes     {@code D_A}, KV bytes read
     * @param residentBytes the part of them resident in the fast tier
     * @param writeBytes    {@code D_W}, new KV bytes (always written to the slow tier)
     * @param slowMoveBytes {@code MR}, bytes moves read from the slow tier beyond the step's reads
     */
    public double slowTime(long readBytes, long residentBytes, long writeBytes, long slowMoveBytes) {
        double dr = w + readBytes;
        return ts(dr, alpha(readBytes, residentBytes), writeBytes, slowMoveBytes);
    }

    private double time(double dr, double alpha, double dw, double wf, double mf, double mr) {
        return Math.max(tf(dr, alpha, wf, mf), ts(dr, alpha, dw, mr));
    }

    private double tf(double dr, double alpha, double wf, double mf) {
        return (alpha * dr + wf + mf) / hw.fastBandwidth();
    }

    private double ts(double dr, double alpha, double dw, double mr) {
        double writeAndMoves = Math.max(Math.max(dw / hw.slowWrite(), mr / hw.slowRead()), (mr + dw) / hw.slowDram());
        return writeAndMoves + ((1 - alpha) * dr + mr) / slowReadPath;
    }

    /** The all-fast reference: every byte resident, no cap on the fast share, new KV still written to the slow tier. */
    public double allFastStepTime(long readBytes, long writeBytes) {
        return time(w + readBytes, 1, writeBytes, writeBytes, 0, 0);
    }

    /**
     * The bound of this model (the author's "best" run): every step reads the balanced share
     * from the fast tier ({@code alpha = min(C_F / D_R, alphaCap)}) and moves nothing; the new KV
     * is not written to the fast tier (the lower of the two choices, since it always goes to the
     * slow tier).
     */
    public double boundStepTime(long readBytes, long writeBytes) {
        double dr = w + readBytes;
        double a = Math.min(hw.fastCapacity() / dr, alphaCap);
        return time(dr, a, writeBytes, 0, 0, 0);
    }
}
