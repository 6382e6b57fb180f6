package io.sluice.broker.ca;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.cli.CaCommand;
import io.sluice.broker.cli.SluiceCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sluice ca ...} run through Sluice's real command line and its error handling. */
class CaCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void initCreatesTheCaAndSaysWhereItIs() throws Exception {
        int exit = run(Map.of(), "ca", "init", "--dir", dir + "/ca");

        assertThat(exit).isZero();
        X509Certificate ca = PemFiles.readCertificate(dir.resolve("ca/ca.crt"));
        assertThat(ca.getSubjectX500Principal().getName()).isEqualTo("CN=Sluice data space CA");
        assertThat(ca.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca/ca.key")))).isEqualTo("rw-------");
        assertThat(out.toString()).startsWith("created CA \"Sluice data space CA\" (p256), valid until ")
                .contains("  certificate: " + dir.resolve("ca/ca.crt") + "\n")
                .contains("  private key: " + dir.resolve("ca/ca.key") + " (keep it secret; the broker needs only the certificate)\n");
    }

    @Test
    void initTakesNameAlgorithmAndDays() throws Exception {
        int exit = run(Map.of(), "ca", "init", "--dir", dir.toString(), "--name", "Hospital data space", "--algorithm", "ed25519",
                "--days", "10");

        assertThat(exit).isZero();
        X509Certificate ca = PemFiles.readCertificate(dir.resolve("ca.crt"));
        assertThat(ca.getSubjectX500Principal().getName()).isEqualTo("CN=Hospital data space");
        assertThat(ca.getSigAlgName()).isEqualTo("Ed25519");
        assertThat(ca.getNotAfter().getTime() - ca.getNotBefore().getTime()).isEqualTo((10L * 24 * 60 + 5) * 60 * 1000);
    }

    @Test
    void initRefusesToOverwriteAnExistingCa() throws Exception {
        run(Map.of(), "ca", "init", "--dir", dir.toString());
        byte[] key = Files.readAllBytes(dir.resolve("ca.key"));

        int exit = run(Map.of(), "ca", "init", "--dir", dir.toString());

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("sluice: a CA already exists in " + dir + " (ca.crt); refusing to overwrite it\n");
        assertThat(Files.readAllBytes(dir.resolve("ca.key"))).isEqualTo(key);
    }

    @Test
    void initRefusesAnUnknownAlgorithm() {
        assertThat(run(Map.of(), "ca", "init", "--dir", dir.toString(), "--algorithm", "rsa")).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("sluice: algorithm must be one of p256, ed25519, was rsa\n");
        assertThat(dir.resolve("ca.key")).doesNotExist();
    }

    @Test
    void issueNodeWritesCertificateKeyAndKeyStoreWithAGeneratedPasswordShownOnce() throws Exception {
        run(Map.of(), "ca", "init", "--dir", dir.toString());
        out.getBuffer().setLength(0);

        int exit = run(Map.of(), "ca", "issue-node", "--dir", dir.toString(), "--node", "gpu-07", "--region", "eu-central");

        assertThat(exit).isZero();
        Matcher password = Pattern.compile("  key store password \\(generated, shown only now\\): (\\S+)\n").matcher(out.toString());
        assertThat(password.find()).as(out.toString()).isTrue();
        assertThat(out.toString()).startsWith("issued CN=gpu-07, serial ")
                .contains("  certificate: " + dir.resolve("node-gpu-07.crt") + "\n")
                .contains("  private key: " + dir.resolve("node-gpu-07.key") + "\n")
                .contains("  key store:   " + dir.resolve("node-gpu-07.p12") + " (PKCS#12; also trusts the CA)\n");
        X509Certificate node = PemFiles.readCertificate(dir.resolve("node-gpu-07.crt"));
        assertThat(NodeCertificates.read(node)).map(identity -> identity.nodeId() + "@" + identity.region()).contains("gpu-07@eu-central");
        KeyStore store = KeyStore.getInstance(dir.resolve("node-gpu-07.p12").toFile(), password.group(1).toCharArray());
        assertThat(store.getCertificate("gpu-07")).isEqualTo(node);
        assertThat(store.getKey("gpu-07", password.group(1).toCharArray()))
                .isEqualTo(PemFiles.readPrivateKey(dir.resolve("node-gpu-07.key")));
    }

    @Test
    void issueNodeTakesThePasswordFromTheEnvironmentAndDoesNotPrintIt() throws Exception {
        run(Map.of(), "ca", "init", "--dir", dir.toString());

        int exit = run(Map.of("SLUICE_KEYSTORE_PASSWORD", "from-env"),
                "ca", "issue-node", "--dir", dir.toString(), "--node", "gpu-07", "--region", "eu-central", "--days", "30",
                "--out", dir + "/nodes/n7");

        assertThat(exit).isZero();
        assertThat(out.toString()).doesNotContain("password").doesNotContain("from-env");
        KeyStore store = KeyStore.getInstance(dir.resolve("nodes/n7.p12").toFile(), "from-env".toCharArray());
        assertThat(store.isKeyEntry("gpu-07")).isTrue();
    }

    @Test
    void aPasswordFileWinsOverTheEnvironment() throws Exception {
        run(Map.of(), "ca", "init", "--dir", dir.toString());
        Path file = Files.writeString(dir.resolve("p12-password"), "given\n");

        int exit = run(Map.of("SLUICE_KEYSTORE_PASSWORD", "from-env"), "ca", "issue-node", "--dir", dir.toString(),
                "--node", "gpu-07", "--region", "eu-central", "--password-file", file.toString());

        assertThat(exit).isZero();
        assertThat(out.toString()).doesNotContain("given");
        assertThat(KeyStore.getInstance(dir.resolve("node-gpu-07.p12").toFile(), "given".toCharArray()).size()).isEqualTo(2);
    }

    @Test
    void aPasswordIsNeverTakenFromTheCommandLine() {
        run(Map.of(), "ca", "init", "--dir", dir.toString());

        int exit = run(Map.of(), "ca", "issue-node", "--dir", dir.toString(), "--node", "gpu-07", "--region", "eu-central",
                "--password", "visible-in-ps");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown options: '--password'", "Possible solutions: --password-file");
        assertThat(dir.resolve("node-gpu-07.p12")).doesNotExist();
    }

    @Test
    void anEmptyPasswordFileIsRefused() throws Exception {
        run(Map.of(), "ca", "init", "--dir", dir.toString());
        Path file = Files.writeString(dir.resolve("empty"), "\n");

        int exit = run(Map.of(), "ca", "issue-node", "--dir", dir.toString(), "--node", "gpu-07", "--region", "eu-central",
                "--password-file", file.toString());

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("sluice: --password-file: the secret in " + file + " is empty\n");
    }

    @Test
    void issueNodeRefusesToOverwriteAnEarlierCertificate() {
        run(Map.of(), "ca", "init", "--dir", dir.toString());
        run(Map.of(), "ca", "issue-node", "--dir", dir.toString(), "--node", "gpu-07", "--region", "eu-central", "--password-file", password());

        int exit = run(Map.of(), "ca", "issue-node", "--dir", dir.toString(), "--node", "gpu-07", "--region", "eu-west", "--password-file", password());

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("sluice: " + dir.resolve("node-gpu-07.crt")
                + " already exists; refusing to overwrite it (remove it or choose another --out)\n");
    }

    @Test
    void issueNodeRefusesANodeIdThatCannotBeReadBack() {
        run(Map.of(), "ca", "init", "--dir", dir.toString());

        int exit = run(Map.of(), "ca", "issue-node", "--dir", dir.toString(), "--node", "gpu/07", "--region", "eu-central");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("sluice: node id must be 1 to 64 letters, digits, '.', '_' or '-',"
                + " starting with a letter or digit, was 'gpu/07'\n");
    }

    @Test
    void issuingWithoutACaSaysHowToCreateOne() {
        int exit = run(Map.of(), "ca", "issue-node", "--dir", dir.toString(), "--node", "gpu-07", "--region", "eu-central");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("sluice: no CA in " + dir + " (ca.crt is missing); create one with `sluice ca init --dir "
                + dir + "`\n");
    }

    @Test
    void issueServerNamesEveryHost() throws Exception {
        run(Map.of(), "ca", "init", "--dir", dir.toString());

        int exit = run(Map.of(), "ca", "issue-server", "--dir", dir.toString(), "--host", "127.0.0.1", "--host", "localhost",
                "--password-file", password());

        assertThat(exit).isZero();
        X509Certificate server = PemFiles.readCertificate(dir.resolve("server.crt"));
        assertThat(server.getSubjectAlternativeNames()).containsExactly(List.of(7, "127.0.0.1"), List.of(2, "localhost"));
        assertThat(server.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(dir.resolve("server.key")).exists();
        assertThat(dir.resolve("server.p12")).exists();
    }

    @Test
    void refusesZeroDays() {
        run(Map.of(), "ca", "init", "--dir", dir.toString());

        assertThat(run(Map.of(), "ca", "issue-server", "--dir", dir.toString(), "--host", "localhost", "--days", "0")).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("sluice: --days must be >= 1, was 0\n");
    }

    @Test
    void asksForASubcommand() {
        assertThat(run(Map.of(), "ca")).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("sluice: name a subcommand: init, issue-node or issue-server (sluice ca --help)\n");
    }

    /** A password file for tests that do not care about the password. */
    private String password() {
        try {
            return Files.writeString(dir.resolve("test-password"), "p\n").toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Runs {@code sluice ARGS} with {@code ca} added if the lead has not registered it yet. */
    private int run(Map<String, String> environment, String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        CommandLine sluice = SluiceCommand.commandLine();
        if (sluice.getSubcommands().containsKey("ca")) {
            sluice.getSubcommands().remove("ca");
            sluice.getCommandSpec().removeSubcommand("ca");
        }
        sluice.addSubcommand(new CaCommand(environment::get));
        sluice.setOut(new PrintWriter(out, true));
        sluice.setErr(new PrintWriter(err, true));
        return sluice.execute(args);
    }
}
