package io.sluice.loader.internal;

/** A failed POSIX memory call, with the {@code errno} it reported. */
final class NativeCallException extends RuntimeException {

    static final int EPERM = 1;
    static final int EIO = 5;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EFAULT = 14;
    static final int EINVAL = 22;
    static final int ENOSYS = 38;

    private final int errno;

    NativeCallException(String call, long size, int errno) {
        super(call + " of " + size + " bytes failed with errno " + errno + " (" + name(errno) + ")");
        this.errno = errno;
    }

    int errno() {
        return errno;
    }

    /** The symbolic name of the few values the memory calls report. */
    static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case EIO -> "EIO";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EFAULT -> "EFAULT";
            case EINVAL -> "EINVAL";
            case ENOSYS -> "ENOSYS";
            default -> "errno " + errno;
        };
    }
}
