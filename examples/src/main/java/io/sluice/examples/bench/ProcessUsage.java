package io.sluice.examples.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What Linux's {@code /proc} says about one process: CPU time used (user + system), resident
 * memory now ({@code VmRSS}) and at its peak ({@code VmHWM}). Reading is cheap (a few file reads), so
 * it can be taken before and after every measured run without disturbing it.
 *
 * @param cpuSeconds {@code utime + stime} of {@code /proc/PID/stat}, in seconds (clock ticks divided by {@code CLK_TCK})
 * @param rssBytes {@code VmRSS} of {@code /proc/PID/status}
 * @param peakRssBytes {@code VmHWM}: the peak since the process started or since {@link #resetPeak}
 */
record ProcessUsage(double cpuSeconds, long rssBytes, long peakRssBytes) {

    /** Clock ticks per second, as {@code getconf CLK_TCK} says (100 where it cannot be asked). */
    static final long CLOCK_TICKS = clockTicks();

    /** Reads the usage of process {@code pid}. */
    static ProcessUsage of(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            long rss = 0;
            long hwm = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) {
                    rss = kilobytes(line);
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kilobytes(line);
                }
            }
            return new ProcessUsage((double) ticks / CLOCK_TICKS, rss, hwm);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + " (is this Linux, is the process alive?)", e);
        }
    }

    /**
     * Sets the process's {@code VmHWM} back to its current {@code VmRSS} (writes 5 to
     * {@code /proc/PID/clear_refs}, Linux 4.0 and later), so that the next peak is that of what
     * follows. Returns false where the kernel refuses; the peak then counts from the process's start.
     */
    static boolean resetPeak(long pid) {
        try {
            Files.writeString(Path.of("/proc", Long.toString(pid), "clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static long kilobytes(String line) {
        String[] parts = line.trim().split("\\s+");
        return Long.parseLong(parts[1]) * 1024;
    }

    private static long clockTicks() {
        try {
            Process getconf = new ProcessBuilder(List.of("getconf", "CLK_TCK")).redirectErrorStream(true).start();
            String answer = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (getconf.waitFor(10, TimeUnit.SECONDS) && getconf.exitValue() == 0) {
                return Long.parseLong(answer);
            }
        } catch (IOException | NumberFormatException e) {
            // Fall through to the value of every Linux on x86 and ARM.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }
}
