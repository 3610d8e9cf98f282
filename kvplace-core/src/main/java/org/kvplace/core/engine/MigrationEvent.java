package org.kvplace.core.engine;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** JFR event {@code kvplace.Migration}: one page moved (or not) by the migration worker. */
@Name("kvplace.Migration")
@Label("kvplace migration")
@Category("kvplace")
@Description("One page copied between the tiers by the migration worker")
@StackTrace(false)
final class MigrationEvent extends Event {

    @Label("Sequence")
    int sequence;

    @Label("Layer")
    int layer;

    @Label("Page")
    int page;

    @Label("Promotion")
    @Description("true: slow to fast; false: fast to slow")
    boolean promotion;

    @Label("Done")
    @Description("false when the move could not be carried out (tier full, page freed)")
    boolean done;

    @Label("Bytes")
    @DataAmount
    long bytes;
}
