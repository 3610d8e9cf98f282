package org.kvplace.core.engine;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** JFR event {@code kvplace.Step}: one decode token of one sequence, all layers. */
@Name("kvplace.Step")
@Label("kvplace step")
@Category("kvplace")
@Description("One decode token of one sequence: KV bytes read per tier, bytes migrated, step time")
@StackTrace(false)
final class StepEvent extends Event {

    @Label("Sequence")
    int sequence;

    @Label("Position")
    @Description("The position of the token this step decoded (tokens in the sequence before it)")
    int position;

    @Label("Fast bytes read")
    @DataAmount
    long bytesFast;

    @Label("Slow bytes read")
    @DataAmount
    long bytesSlow;

    @Label("Bytes migrated")
    @Description("Bytes the migration worker moved for this sequence since the previous step")
    @DataAmount
    long bytesMigrated;

    @Label("Measured time")
    @Timespan(Timespan.NANOSECONDS)
    long measuredNanos;

    @Label("Modelled time")
    @Description("The cost model's time for the step, or 0 without a calibrated model")
    @Timespan(Timespan.NANOSECONDS)
    long modelledNanos;
}
