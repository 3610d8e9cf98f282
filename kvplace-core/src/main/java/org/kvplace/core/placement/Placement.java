package org.kvplace.core.placement;

/**
 * Read-only view of where every unit sits, handed to a policy by its driver (the simulator, or
 * the live cache's placement engine). Units are identified by {@code (layer, unit id)}; every
 * unit of the run has the same size, {@link #unitBytes()}. The driver owns the state and changes
 * it only by applying a {@link MigrationPlan} or placing a new unit. Not thread-safe.
 */
public interface Placement {

    /** Layers of the model. */
    int layers();

    /** The largest number of units one layer can hold in this run (ids are below it). */
    int maxUnits();

    /** Units of {@code layer} created so far (ids {@code 0..units-1}); new units take the next id. */
    int units(int layer);

    /** Bytes of one unit (for all sequences the driver stands for). */
    long unitBytes();

    /** Whether the unit is in the fast tier; false for a unit that does not exist yet. */
    boolean isFast(int layer, int unit);

    /** The fast-tier set of one layer as bit words; read-only for the caller. */
    long[] fastBits(int layer);

    /** Fast-tier bytes that KV may use in total ({@code C_F - W_total}, scaled as the driver says). */
    long fastCapacityBytes();

    /** Fast-tier bytes now held by KV units. */
    long fastUsedBytes();

    /** {@code fastCapacityBytes() - fastUsedBytes()}. */
    default long fastFreeBytes() {
        return fastCapacityBytes() - fastUsedBytes();
    }
}
