/**
 * JMH microbenchmarks of kvplace. They run from the shaded {@code target/benchmarks.jar} on the
 * class path, so this module exports nothing.
 */
module org.kvplace.bench {
    requires org.kvplace.core;
    requires jmh.core;
}
