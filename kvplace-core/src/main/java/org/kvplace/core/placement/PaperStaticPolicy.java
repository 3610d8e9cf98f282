package org.kvplace.core.placement;

import org.kvplace.core.trace.StepReads;
import org.kvplace.core.trace.TraceSource;

/**
 * The paper author's {@code static} variant: the prompt's tokens fill the fast tier in order
 * (token by token, every layer of a token in turn) until the first that does not fit; each new
 * token goes to the fast tier while there is room; nothing migrates. Also the placement of the
 * author's bound run. See {@link PaperPolicy} for the capacity rule. Not thread-safe.
 */
public final class PaperStaticPolicy extends PaperPolicy {

    /** A policy for runs over {@code source}'s trace (read for its header). */
    public PaperStaticPolicy(TraceSource source) {
        super(source);
    }

    @Override
    public String name() {
        return "paper-static";
    }

    @Override
    void fill() {
        for (int n = 0; n < prompt; n++) {
            for (int l = 0; l < layers; l++) {
                if (!add(n, l)) {
                    return;
                }
            }
        }
    }

    @Override
    boolean placeDecoded(int layer, int n, Lookahead future) {
        return add(n, layer);
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement p, MigrationPlan plan) {
        emit(plan);
    }
}
