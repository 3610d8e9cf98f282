/**
 * The byte layout of KV pages, the contract between the cache that writes pages and the kernels
 * that read them: {@link org.kvplace.core.layout.ElementType} (f32, f16) and
 * {@link org.kvplace.core.layout.PageLayout} (per KV head, a block of keys then a block of values).
 */
package org.kvplace.core.layout;
