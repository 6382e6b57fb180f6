package io.sluice.broker.cli;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.audit.AuditExportHeaders;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.NoteVerificationException;
import io.sluice.broker.audit.tlog.NoteVerifier;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The checkpoint an audit export ships with: the note the answering broker signed at exactly the
 * export's size (header {@value #CHECKPOINT_HEADER}, base64) and that broker's verifier key (header
 * {@value #KEY_HEADER}). Taken from the export's own response, never from the store's list of
 * checkpoints: brokers sharing a store each sign with their own key, and the list at a size holds
 * whichever broker's note was stored first.
 *
 * @param note the signed note, as {@code sluice audit verify --file} reads it from {@code FILE.checkpoint}
 * @param verifierKey the one-line verifier key that signed {@code note}
 * @param checkpoint what the note says: origin, size and root
 */
record ExportCheckpoint(String note, String verifierKey, Checkpoint checkpoint) {
    static final String CHECKPOINT_HEADER = AuditExportHeaders.CHECKPOINT;
    static final String KEY_HEADER = AuditExportHeaders.KEY;

    ExportCheckpoint {
        requireNonNull(note, "note is null");
        requireNonNull(verifierKey, "verifierKey is null");
        requireNonNull(checkpoint, "checkpoint is null");
    }

    /**
     * Reads and checks the export's checkpoint: present, a note signed by the key the broker named,
     * at exactly {@code treeSize}.
     *
     * @param source the export's URL, for messages
     * @throws CliException naming the header and the broken rule; no checkpoint is to be written then
     */
    static ExportCheckpoint of(HttpHeaders headers, URI source, long treeSize) {
        String encoded = header(headers, source, CHECKPOINT_HEADER, "checkpoint");
        String keyText = header(headers, source, KEY_HEADER, "verifier key");
        String note;
        try {
            note = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Base64.getDecoder().decode(encoded))).toString();
        } catch (IllegalArgumentException | CharacterCodingException e) {
            throw new CliException(source + " sent a checkpoint (header " + CHECKPOINT_HEADER
                    + ") that is not the base64 of a UTF-8 note: " + e.getMessage() + "; nothing written");
        }
        NoteVerifier key;
        try {
            key = NoteVerifier.parse(keyText);
        } catch (IllegalArgumentException e) {
            throw new CliException(source + " sent a verifier key (header " + KEY_HEADER + ") that does not parse: "
                    + e.getMessage() + "; nothing written");
        }
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoint.parseBody(key.verify(note));
        } catch (NoteVerificationException | IllegalArgumentException e) {
            throw new CliException("the export's checkpoint (header " + CHECKPOINT_HEADER + ") does not verify with the"
                    + " key " + source + " named (header " + KEY_HEADER + "): " + e.getMessage() + "; nothing written");
        }
        if (checkpoint.size() != treeSize) {
            throw new CliException("the export's checkpoint (header " + CHECKPOINT_HEADER + ") is signed at size "
                    + checkpoint.size() + ", but the export ends at tree size " + treeSize + "; nothing written");
        }
        return new ExportCheckpoint(note, key.verifierKey(), checkpoint);
    }

    private static String header(HttpHeaders headers, URI source, String name, String what) {
        return headers.firstValue(name).filter(value -> !value.isBlank()).orElseThrow(() -> new CliException(
                source + " sent no " + what + " with the export (header " + name + "): the broker is older than this"
                        + " CLI; nothing written"));
    }
}
