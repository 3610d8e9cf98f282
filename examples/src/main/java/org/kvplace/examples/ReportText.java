package org.kvplace.examples;

/** The fixed prose of docs/reproduction.md; the tables and charts around it are computed. */
final class ReportText {

    private ReportText() {}

    static final String INTRO = """
            # Reproduction of the paper's simulation

            This report is generated: `./scripts/reproduce.sh` (which runs
            `./kvplace simulate --scenario report`) rewrites this file and `docs/charts/*.png`.
            Every number in the tables below comes from kvplace's simulator (`org.kvplace.core.sim`) replaying
            seeded synthetic traces (`org.kvplace.core.trace.TraceGenerator`) through the placement
            policies (`org.kvplace.core.placement`) under the cost model of DESIGN section 2. The
            seeds are fixed, so a rerun reproduces every table (only the wall time changes). Two things are
            not regenerated: the **full-scale** row of the comparison table (measured once by hand with the
            command given there) and the figures quoted in the discussion, which were read off the tables of
            this version and must be re-read when the code changes.

            ## Scale (reduced, stated honestly)

            - Context: %d prompt tokens, as in the paper; **%d decoded tokens** (the paper: 10,240),
              32 layers, token granularity: %,d steps per replay. The decode length is cut so that
              the whole report (2 profiles x 10 configurations x 6 policies, the oracle's annealing
              search included, and the online sweep below) runs in a few minutes on a 2-core machine. The context grows by only
              2.5%% of the paper's decode, so the fast tier sees the pressure of the start of the
              paper's run, not of its end (where the MHA context is 21.8 GB instead of 16.5 GB).
              The full scale runs with `./kvplace simulate --generate decode=10240` (see
              `docs/simulate.md` for its speed).
            - Oracle: annealing over `(Wn, R)` with %d replays and `Wn <= %d`; the bound is the best
              replay found. The search's temperature schedule depends on its replay budget, so a larger
              budget follows a different path: it usually, but not provably, finds a lower time.
            - Generator: sink 4 tokens, newest 64 tokens always read, the rest of the read set a
              persistent random set; each decode token replaces the fraction `variation` of it (low
              0.02, real 0.10, high 0.30: our assumption, not a value from the paper), a new draw
              coming from the newest quarter of the context with probability 0.5. The generator was
              written before any comparison and has not been tuned to match the paper.
            - Page policy: 16-token pages chosen Quest-style on the token trace (the pages holding
              the most read tokens, as many as the step's token budget fills), moved with perfect
              knowledge of the next step's pages.
            - Models: `llama3.1-8b-mha` (16 KiB of KV per token per layer, the paper's sizing) at
              batch 1 for the sparsity and variation sweeps; `llama3.1-8b` (grouped-query attention,
              4 KiB) at batch 1, 8 and 32 for the batch sweep. Weights 0.5 GB per layer step, 16 GB
              in total, always in the fast tier: on gh200 8 GB of HBM are left for KV, on h100-pcie5
              64 GB. With a batch, one trace stands for every sequence.
            """;

    /** The online-against-oracle section, before its computed table. */
    static final String ONLINE = """
            ## Online against the oracle

            The online policies (no future knowledge, lookahead 0: `static`, `arc` and kvplace's
            `balance`) against the oracle on gh200, `llama3.1-8b-mha` at batch 1, sweeping the
            generator's step-to-step reuse (the share of a layer's persistent read set kept from
            one decode token to the next: `1 - variation`) at 40%% and 60%% sparsity. The oracle is
            the best of a smaller annealing search here (%d replays, `Wn <= %d`). Cells are
            throughput over the best reference with the fast-tier hit rate in brackets;
            `balance / oracle` is the oracle's time over balance's (above 1: balance is faster).
            `balance` aims each step at the cost model's balanced split and pays a migration
            only where a unit's expected reads (from its read history and age) beat its victim's
            by the copy's cost (`org.kvplace.core.placement.BalancePolicy`); `arc` is adaptive
            replacement over all layers, promoting every miss like `reactive`.

            """;

    /** Before the computed comparison table. */
    static final String SHAPE = """
            ## The paper's published shape beside ours

            | source | static | reactive | page | oracle | oracle / static |
            |---|---|---|---|---|---|
            | paper (60% sparsity, normalised to the best reference) | 0.18 | 0.29 | 0.52 | 0.96 | up to 5.87x across sparsity |
            """;

    static final String ANALYSIS = """
            | kvplace, gh200, MHA batch 1, 60%%, **full scale** (10,240 decoded) | 0.39 | 0.26 | 0.87 | 0.93 (Wn=16, R=0.85, one point, not searched) | 2.41x |

            The kvplace rows are computed by this report, except the full-scale row, measured
            separately with `./kvplace simulate --generate decode=10240 --policy
            static,reactive,page,oracle:16:0.85` (38 s, 89 s, 38 s and 121 s of replay; the
            annealing search at this scale would take 8 to 12 such oracle replays). At full scale
            the context grows to 21.8 GB, the read set no longer fits in the room, and the shape
            comes close to the paper's: reactive (0.26 against 0.29) falls below static, into the
            cyclic-LRU regime of point 3, and the oracle reaches 0.93 (0.96) with one untuned
            point; static (0.39 against 0.18) and page (0.87 against 0.52) stay higher. The order static < page < oracle holds (or ties) wherever
            the fast tier is under pressure; the levels and the place of reactive differ. The reasons, from
            the model and the traces, not from tuning:

            1. **Whether the fast tier is under pressure decides everything.** On gh200 with MHA at
               batch 1, a 60%% sparse step reads 40%% of a 16.5 GB context: 6.6 GB over the 32
               layers, less than the 8 GB of HBM left for KV. Any policy that keeps the read set in
               HBM then runs at all-fast speed (0.92 of the bound). The paper's levels (static 0.18)
               imply much more pressure: its fast tier held far less of the read set. Our batch 8
               and batch 32 rows, where the KV is 4x and 16x the room, look more like the paper.
            2. **Static is better than in the paper** at batch 1: it holds the oldest 15k tokens of
               every layer (nearly half the context), and the weights, read from HBM every step,
               dilute the slow reads. At 85%% and 90%% sparsity the KV read per step is small beside
               the 0.5 GB of weights, and static's split (about 30%% of the KV from the slow tier,
               in parallel) is close to the balanced split: static reaches 0.88 and 0.98 (all-fast:
               0.92).
            3. **Reactive is bimodal, not in between.** Its LRU spans all layers, and the layers are
               visited cyclically. When the read sets of all 32 layers fit in the room (60%% and
               85%% sparsity, MHA batch 1) it keeps them and reaches 0.88 to 0.91. When they do not
               (40%% sparsity: 9.9 GB; GQA batch 8 and 32; the full-scale run), LRU meets its
               classic cyclic-access pathology: units are evicted before their layer comes round
               again, the hit rate collapses (0.00 at 40%%) and the promotions it pays make it worse
               than static (0.08, 0.07, 0.04 on gh200). The high-variation trace (30%% replaced per
               token) sits between (0.36). The paper's 0.29 is consistent with a mix of regimes.
            4. **Page** never thrashes like reactive, since it evicts only pages of the same layer
               that the next step does not read; with perfect next-step knowledge it keeps the hit
               rate near 1.00 when the room allows, and pays for it in migrations (it moves pages in
               for one step that the step after does not need). Under pressure it is second only to
               the oracle, as in the paper.
            5. **The oracle reaches past all-fast only where its window's reads exceed the room.** It promotes a fraction
               `R` of the slow units its window reads and demotes only units the window does not
               read. With room to spare it therefore fills HBM with the window's reads and runs at
               all-fast speed; it holds part of each step's reads in the slow tier, as the balanced
               split would (about 29%% of the KV at 60%% sparsity on gh200), only when the union of
               its window's reads exceeds the room, which takes long windows. Where the search found
               such a point the oracle is above all-fast (above 0.92 on gh200); where it did not,
               static, whose fixed split is near the balanced one when the weights dominate (85%%
               and 90%% sparsity), can beat it. Under pressure the oracle is the best policy.
            6. **The balanced bound is loose under heavy pressure.** It lets every step use the
               whole room for its own reads (capacity is checked per step, not across the 32 layers
               that share it), so at GQA batch 32 on gh200 no policy gets near it. It remains a
               lower bound on time (a tested invariant: no replay has gone below it).
            7. **h100-pcie5** has 64 GB of HBM for KV: every MHA and GQA configuration up to batch 8
               fits, all policies tie at all-fast speed, and the slow tier (55 GB/s over PCIe) is
               worth only 2%% (all-fast is 0.98 of the bound). Only GQA batch 32 (132 GB of KV)
               spills, and there placement matters most: static reads 63%% of its KV over PCIe and
               falls to 0.03, and the oracle/static ratio exceeds the paper's 5.87x because the
               slow link is 8x slower than NVLink-C2C.
            8. **Where the oracle does not beat every baseline** the tables say so: "tie" where
               every policy already runs at all-fast speed (nothing to gain), **no** where point 5
               applies. The search (%s replays, `Wn <= %s`) explores few `(Wn, R)` points and
               depends on its path: an earlier run of this report with 6 replays and `Wn <= 16`
               found 0.77 at 40%% sparsity (Wn=4, R=1.0) where this one finds 0.70: the oracle figure is
               the best point of one seeded search, not an optimum. Two simplifications also keep
               it below the balanced bound under pressure: it evicts only units of its own layer
               (the fast tier is shared by all 32), and it evicts only as much as its promotions
               need rather than every unit its window does not read.
            """.formatted(ReproductionReport.BUDGET, ReproductionReport.MAX_WINDOW);
}
