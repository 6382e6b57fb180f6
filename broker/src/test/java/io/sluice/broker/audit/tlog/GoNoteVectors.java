package io.sluice.broker.audit.tlog;

/**
 * Published keys and notes of the Go checksum database's note format, the format C2SP
 * signed-note standardises: golang.org/x/mod/sumdb/note, package documentation (note.go) and
 * note_test.go (TestSign, TestOpen).
 */
final class GoNoteVectors {
    /** The signer key of the package docs: PRIVATE+KEY+name+keyid+base64(0x01 || seed). */
    static final String PETER_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    static final String PETER_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    static final String ENOCH_VERIFIER_KEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";

    static final String TEXT = "If you think cryptography is the answer to your problem,\n"
            + "then you don't know what your problem is.\n";
    static final String PETER_SIGNATURE_LINE =
            "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    static final String ENOCH_SIGNATURE_LINE =
            "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
    /** The note signed by PeterNeumann, exactly as published. */
    static final String PETER_NOTE = TEXT + "\n" + PETER_SIGNATURE_LINE;

    private GoNoteVectors() {}

    /** The 32-byte seed inside {@link #PETER_SIGNER_KEY}. */
    static byte[] peterSeed() {
        String encoded = PETER_SIGNER_KEY.split("\\+", 5)[4]; // the base64 itself may contain '+'
        byte[] typed = java.util.Base64.getDecoder().decode(encoded);
        if (typed.length != 33 || typed[0] != 1) {
            throw new IllegalStateException("unexpected signer key encoding " + encoded);
        }
        return java.util.Arrays.copyOfRange(typed, 1, 33);
    }
}
