/**
 * Access traces: the units (tokens or pages) each decode step read, streamed step by step in
 * decode order ({@code n} ascending, then layer). A trace is read through {@link
 * org.kvplace.core.trace.AccessTrace}; it comes from a binary file ({@link
 * org.kvplace.core.trace.TraceReader}, written by {@link org.kvplace.core.trace.TraceWriter}), a
 * seeded generator ({@link org.kvplace.core.trace.TraceGenerator}) or a text importer ({@link
 * org.kvplace.core.trace.TextTraceImporter}). None holds more than one step plus its own state.
 */
package org.kvplace.core.trace;
