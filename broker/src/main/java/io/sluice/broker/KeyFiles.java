package io.sluice.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/** Secret keys the broker keeps in its data directory: created once, readable by their owner only. */
public final class KeyFiles {
    private KeyFiles() {}

    /** The bytes in {@code file} (base64), or {@code length} fresh random bytes written there first. */
    public static byte[] loadOrCreate(Path file, int length) throws IOException {
        if (Files.exists(file)) {
            return Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).trim());
        }
        byte[] key = new byte[length];
        new SecureRandom().nextBytes(key);
        writeOwnerOnly(file, Base64.getEncoder().encodeToString(key) + "\n");
        return key;
    }

    /** Creates {@code file} readable and writable by its owner only; refuses to replace one. */
    public static void writeOwnerOnly(Path file, String content) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(file + " appeared while creating it; is another broker starting on the same data directory?", e);
        }
        Files.writeString(file, content, StandardCharsets.US_ASCII);
    }
}
