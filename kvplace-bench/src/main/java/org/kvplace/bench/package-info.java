/** JMH benchmarks of kvplace. */
package org.kvplace.bench;
