/**
 * kvplace core: the tiered off-heap KV cache, the cost model, traces, the simulator, placement
 * policies and the reference decode kernel. No Vector API here; a faster {@link
 * org.kvplace.core.kernel.DecodeKernel} is provided by {@code org.kvplace.kernels}.
 */
module org.kvplace.core {
    requires jdk.jfr;
    requires HdrHistogram;
    requires jdk.management;

    exports org.kvplace.core.memory;
    exports org.kvplace.core.layout;
    exports org.kvplace.core.cache;
    exports org.kvplace.core.kernel;
    exports org.kvplace.core.attention;
    exports org.kvplace.core.model;
    exports org.kvplace.core.trace;
    exports org.kvplace.core.placement;
    exports org.kvplace.core.sim;
    exports org.kvplace.core.engine;

    uses org.kvplace.core.kernel.DecodeKernel;
}
