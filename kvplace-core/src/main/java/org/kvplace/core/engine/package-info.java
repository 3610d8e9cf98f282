/**
 * The live placement engine: the façade an inference engine talks to ({@link
 * org.kvplace.core.engine.KvPlace}, {@link org.kvplace.core.engine.KvSequence}), which drives a
 * {@link org.kvplace.core.placement.PlacementPolicy} over the real tiered cache through the same
 * {@link org.kvplace.core.placement.PlacementProtocol} as the simulator, and a migration worker
 * that copies pages between the tiers while the next step attends.
 *
 * <p>The flow per decode token: for every layer {@code append} (a new page goes to the tier the
 * policy chooses) and {@code attend} (sparse or dense attention over both tiers; the pages read
 * and their attention masses go to the policy, whose moves are queued), then {@code endStep}
 * (grants the migration worker this step's byte budget and records the step, also as a JFR
 * event {@code kvplace.Step}).
 */
package org.kvplace.core.engine;
