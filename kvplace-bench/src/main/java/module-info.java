/** JMH microbenchmarks of kvplace; run from the shaded {@code target/benchmarks.jar}. */
module org.kvplace.bench {
    requires org.kvplace.core;
    requires jmh.core;

    exports org.kvplace.bench;
}
