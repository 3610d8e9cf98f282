package org.kvplace.core.model;

/**
 * The modelled time of one step (one decode token, one layer), seconds.
 *
 * @param fastTime {@code t_F}, the fast tier's busy time
 * @param slowTime {@code t_S}, the slow side's busy time (the slowest of link read, link write, DRAM)
 * @param time     {@code T = max(t_F, t_S)}
 */
public record StepCost(double fastTime, double slowTime, double time) {}
