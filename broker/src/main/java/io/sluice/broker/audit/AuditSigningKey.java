package io.sluice.broker.audit;

import io.sluice.broker.KeyFiles;
import io.sluice.broker.audit.tlog.NoteSigner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The broker's Ed25519 checkpoint-signing key, kept in the data directory: created once, readable
 * by its owner only, reused across restarts so that old checkpoints stay verifiable. The public
 * verifier key is written beside it at every start for compliance officers to copy.
 */
public final class AuditSigningKey {
    public static final String PRIVATE_KEY_FILE = "audit-signing.key";
    public static final String PUBLIC_KEY_FILE = "audit-public.key";

    private AuditSigningKey() {}

    public static NoteSigner loadOrCreate(Path dataDir, String name) {
        Path privateKey = dataDir.resolve(PRIVATE_KEY_FILE);
        try {
            NoteSigner signer;
            if (Files.exists(privateKey)) {
                byte[] seed = Base64.getDecoder().decode(Files.readString(privateKey, StandardCharsets.US_ASCII).trim());
                signer = NoteSigner.fromPrivateKey(name, seed);
            } else {
                signer = NoteSigner.generate(name);
                KeyFiles.writeOwnerOnly(privateKey, Base64.getEncoder().encodeToString(signer.privateKeySeed()) + "\n");
            }
            Files.writeString(dataDir.resolve(PUBLIC_KEY_FILE), signer.verifierKey() + "\n", StandardCharsets.US_ASCII);
            return signer;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load or create the audit signing key in " + dataDir, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(privateKey + " does not hold a valid key: " + e.getMessage(), e);
        }
    }
}
