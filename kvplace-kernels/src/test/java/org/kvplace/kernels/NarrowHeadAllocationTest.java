package org.kvplace.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kvplace.core.layout.ElementType;

/** {@link AllocationTest} for heads of 8 floats shared by two query heads (the narrow-head path). */
class NarrowHeadAllocationTest {

    @ParameterizedTest
    @EnumSource(ElementType.class)
    void shouldNotAllocatePerStepOnceWarm(ElementType type) {
        AllocationTest.check(type, 8, 4);
    }
}
