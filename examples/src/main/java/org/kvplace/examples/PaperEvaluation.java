package org.kvplace.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.PaperPolicies;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.placement.Policies;
import org.kvplace.core.sim.PaperSimulator;
import org.kvplace.core.sim.Replay;
import org.kvplace.core.sim.SimulationResult;
import org.kvplace.core.trace.TraceSource;

/**
 * Runs policies over one trace in the paper author's cost model ({@link PaperSimulator}): the
 * author's variants ({@code paper-static}, {@code paper-reactive}, {@code paper-page},
 * {@code paper-sa[:WN:R[:SPLITS]]}), kvplace's policies and this model's references
 * ({@code paper-all-fast}, {@code paper-bound}).
 */
final class PaperEvaluation {

    /** References of this model. */
    static final List<String> REFERENCES = List.of("paper-all-fast", "paper-bound");

    private PaperEvaluation() {}

    /** What {@code all} stands for in this model: the author's variants, kvplace's policies, the references. */
    static List<String> all() {
        List<String> out = new ArrayList<>(PaperPolicies.NAMES);
        for (String p : Evaluation.ALL) {
            if (p.equals("oracle")) {
                out.add("oracle:8:1.0"); // the annealing search runs in kvplace's model only
            } else if (!p.equals("all-fast") && !p.equals("balanced-bound")) {
                out.add(p);
            }
        }
        out.addAll(REFERENCES);
        return out;
    }

    static List<String> parsePolicies(String spec) {
        List<String> out = new ArrayList<>();
        for (String p : spec.split(",")) {
            String n = p.trim().toLowerCase(Locale.ROOT);
            if (n.equals("all")) {
                out.addAll(all());
            } else if (REFERENCES.contains(n)) {
                out.add(n);
            } else if (PaperPolicies.isPaperPolicy(n)) {
                PaperPolicies.byName(n, () -> {
                    throw new IOException("not opened");
                }); // validates the parameters
                out.add(n);
            } else if (n.equals("oracle")) {
                throw new UsageException("the oracle's annealing search runs in kvplace's cost model only; in the"
                        + " paper's give oracle:WN:R, or paper-sa:WN:R for the author's oracle");
            } else if (n.equals("all-fast") || n.equals("balanced-bound")) {
                throw new UsageException("'" + n + "' is a reference of kvplace's cost model; the paper's are "
                        + REFERENCES);
            } else {
                try {
                    if (!Policies.WITH_COST_MODEL.contains(n)) {
                        Policies.byName(n); // validates
                    }
                } catch (IllegalArgumentException e) {
                    throw new UsageException("unknown policy '" + p + "' for the paper's cost model (known: all, "
                            + String.join(", ", PaperPolicies.NAMES) + ", paper-sa:WN:R[:SPLITS], "
                            + String.join(", ", Policies.NAMES) + ", oracle:WN:R, "
                            + String.join(", ", REFERENCES) + ")");
                }
                out.add(n);
            }
        }
        return out;
    }

    static List<Evaluation.Row> run(TraceSource source, HardwareProfile hw, ModelProfile model, List<String> policies,
            PrintStream err, boolean progress) throws IOException {
        PaperSimulator sim = new PaperSimulator(hw, model);
        List<Evaluation.Row> rows = new ArrayList<>();
        SimulationResult allFast = null;
        SimulationResult bound = null;
        for (String p : policies) {
            if (REFERENCES.contains(p)) {
                continue;
            }
            long t0 = System.nanoTime();
            sim.progress(new ProgressBar(err, p, progress));
            PlacementPolicy policy = PaperPolicies.isPaperPolicy(p) ? PaperPolicies.byName(p, source)
                    : p.equals("balance") ? Policies.balance(sim.costModel()) // priced by this model
                    : Policies.byName(p);
            Replay replay = sim.replay(source, policy);
            rows.add(new Evaluation.Row(replay.result(), (System.nanoTime() - t0) / 1e9, replay.steps()));
            if (allFast == null) {
                allFast = replay.allFast();
                bound = replay.bound();
            }
        }
        if (allFast == null && policies.stream().anyMatch(REFERENCES::contains)) {
            sim.progress(new ProgressBar(err, "references", progress));
            Replay replay = sim.replay(source, PaperPolicies.byName("paper-static", source));
            allFast = replay.allFast();
            bound = replay.bound();
        }
        if (policies.contains("paper-all-fast")) {
            rows.add(new Evaluation.Row(allFast, 0, 0));
        }
        if (policies.contains("paper-bound")) {
            rows.add(new Evaluation.Row(bound, 0, 0));
        }
        return rows;
    }
}
