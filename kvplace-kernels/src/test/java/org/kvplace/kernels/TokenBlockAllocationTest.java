package org.kvplace.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kvplace.core.layout.ElementType;

/** {@link AllocationTest} for heads of 64 floats with one query head each (the token-block path). */
class TokenBlockAllocationTest {

    @ParameterizedTest
    @EnumSource(ElementType.class)
    void shouldNotAllocatePerStepOnceWarm(ElementType type) {
        AllocationTest.check(type, 64, 2);
    }
}
