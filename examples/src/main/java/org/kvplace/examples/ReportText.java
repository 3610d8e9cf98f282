package org.kvplace.examples;

/** The fixed prose of docs/reproduction.md; the numbers around it are computed. */
final class ReportText {

    private ReportText() {}

    static final String INTRO = """
            # Reproduction of the paper's simulation

            This report is generated: `./scripts/reproduce.sh` (which runs
            `./kvplace simulate --scenario report`) rewrites this file and `docs/charts/*.png`.
            Every number below comes from kvplace's simulator (`org.kvplace.core.sim`) replaying
            seeded synthetic traces (`org.kvplace.core.trace.TraceGenerator`) through the placement
            policies (`org.kvplace.core.placement`) under the cost model of DESIGN section 2.

            ## Scale (reduced, stated honestly)

            - Context: %d prompt tokens, as in the paper; **%d decoded tokens** (the paper: 10,240),
              32 layers, token granularity: %,d steps per replay. The decode length is cut so that
              the whole report (2 profiles x 10 configurations x 4 policies, the oracle's annealing
              search included) runs in minutes on a 2-core machine. Since the context only grows
              by 2.5%% of the paper's decode, the pressure on the fast tier is that of the first
              part of the paper's run; the full scale runs with
              `./kvplace simulate --generate decode=10240 --policy static` (see the README).
            - Oracle: annealing over `(Wn, R)` with %d replays and `Wn <= %d` (the bound is the
              best replay found; a longer search can only lower it).
            - Generator: sink 4 tokens, newest 64 tokens always read, the rest of the read set a
              persistent random set; each decode token replaces the fraction `variation` of it (low
              0.02, real 0.10, high 0.30: our assumption, not a value from the paper), a new draw
              coming from the newest quarter of the context with probability 0.5. The generator was
              written before any comparison and was not tuned to match the paper.
            - Page policy: 16-token pages chosen Quest-style on the token trace (the pages holding
              the most read tokens, as many as the step's token budget fills), moved with perfect
              knowledge of the next step's pages.
            - Models: `llama3.1-8b-mha` (16 KiB of KV per token per layer, the paper's sizing) at
              batch 1 for the sparsity and variation sweeps; `llama3.1-8b` (grouped-query attention,
              4 KiB) at batch 1, 8 and 32 for the batch sweep. Weights 0.5 GB per layer step, 16 GB
              in total, always in the fast tier: on gh200 8 GB of HBM are left for KV, on h100-pcie5
              64 GB.
            """;

    static final String ANALYSIS = """
            ## The paper's published shape beside ours

            The paper (simulated, LLaMA-3.1-8B, about 30k prompt + 10k decoded tokens, 60%% sparsity,
            normalised to the best reference) reports: static 0.18, reactive 0.29, page 0.52,
            oracle 0.96, and the oracle up to 5.87x static across sparsity levels. Compare with the
            gh200 row `sparsity 60%%` above.

            What follows holds for the tables above; the reasons are in the model, not in tuning.

            1. **Static is much better here than in the paper** whenever the fast tier holds a good
               part of the read set. Our static keeps the oldest tokens in HBM; with 8 GB of room
               and about 16.5 GB of MHA KV it holds nearly half the context, and the weights (read
               from HBM every step) dilute the slow reads further. The paper's 0.18 implies a fast
               tier that holds far less of the context relative to the bytes read per step.
            2. **Reactive is close to the oracle** in our traces. With the real variation (10%% of
               the persistent set replaced per token) most reads repeat from one token to the next,
               so promote-on-miss with LRU eviction keeps almost the whole read set in HBM, and the
               migration volume it pays is small beside the weights. The paper's traces evidently
               change more from step to step (or its reactive moves at a coarser grain).
            3. **Page is no better than reactive** here: on a token trace, a Quest-like page
               selection reads as many bytes as the token policies, and with perfect next-step
               knowledge it behaves like a reactive policy one step early; it pays for pages
               needed one step and evicted the next.
            4. **The oracle approaches the balanced bound rather than all-fast**: its best `R`
               leaves part of the read set in the slow tier, as DESIGN section 2 predicts (about
               91.6%% of the bytes from HBM on gh200). It can only reach the bound when the fast
               tier is large enough to hold that share of every step's reads.
            5. **Batch and grouped-query attention**: at batch 1 with GQA the whole KV (about 4 GB)
               fits in the fast tier's 8 GB, the weights dominate the bytes, and every policy is
               within a few percent of all-fast; placement matters only as the KV share grows
               (batch 8, 32) and the KV no longer fits.
            6. **h100-pcie5**: 64 GB of HBM for KV hold the whole MHA context at batch 1, so static
               is optimal there and the slow tier (55 GB/s over PCIe) is worth little: the balanced
               bound is within about 2%% of all-fast. Differences appear only at batch 32.
            7. **Where the oracle does not beat every baseline** (marked **no** in the tables), it
               is within the search's granularity of the best baseline: the annealing budget (%s
               replays) explores few `(Wn, R)` points, and `R` on a 0.05 grid cannot express "keep
               exactly everything"; when static or reactive already sit at the bound, the oracle's
               extra migrations are pure cost. A longer search narrows this; it never goes below
               the balanced bound (a tested invariant).
            """.formatted(ReproductionReport.BUDGET);
}
