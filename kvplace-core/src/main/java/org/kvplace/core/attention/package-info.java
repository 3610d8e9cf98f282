/**
 * Sparse decode attention over both tiers: Quest-style page selection within a token budget,
 * flat or in two levels ({@link org.kvplace.core.attention.PageSelection}), and the two-lane step
 * ({@link org.kvplace.core.attention.SparseAttention}) that reads the fast tier's pages on the
 * calling thread while a lane thread reads the slow tier's, merges the two partial states and
 * reports the pages read and their attention masses.
 */
package org.kvplace.core.attention;
