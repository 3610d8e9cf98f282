package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WarmStartPropertyTest {

    @Test
    void shouldReadTrueAndFalse() {
        assertTrue(DecodeCommand.warmStart("true"));
        assertFalse(DecodeCommand.warmStart("false"));
    }

    @Test
    void shouldRejectAnotherValueNamingTheProperty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DecodeCommand.warmStart("no"));
        assertEquals("kvplace.warmstart=no is not true or false", e.getMessage());
    }
}
