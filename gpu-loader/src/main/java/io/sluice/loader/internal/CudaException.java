package io.sluice.loader.internal;

import java.util.Optional;

/** A CUDA driver call returned an error, or the driver lacks a function the loader needs. */
public final class CudaException extends RuntimeException {

    private final String call;
    private final int result;
    private final String errorName;

    CudaException(String message) {
        super(message);
        this.call = "";
        this.result = -1;
        this.errorName = "";
    }

    CudaException(String call, int result, String errorName, Optional<String> description, String detail) {
        super(call + detail + " failed: " + errorName + description.map(text -> " (" + text + ")").orElse(""));
        this.call = call;
        this.result = result;
        this.errorName = errorName;
    }

    /** The export that failed, e.g. {@code cuMemAlloc_v2}; empty for a binding failure. */
    public String call() {
        return call;
    }

    /** The {@code CUresult}, -1 for a binding failure. */
    public int result() {
        return result;
    }

    /** The result's name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}; empty for a binding failure. */
    public String errorName() {
        return errorName;
    }
}
