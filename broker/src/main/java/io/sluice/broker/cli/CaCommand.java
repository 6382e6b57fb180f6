package io.sluice.broker.cli;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.Secret;
import io.sluice.broker.ca.CaAlgorithm;
import io.sluice.broker.ca.CertificateAuthority;
import io.sluice.broker.ca.CertificateFiles;
import io.sluice.broker.ca.IssuedCertificate;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sluice ca ...}: the data space's certificate authority. {@code init} creates it,
 * {@code issue-node} issues a training node's client certificate, {@code issue-server} the
 * broker's server certificate. See {@link CertificateAuthority} for what the certificates hold.
 */
@Command(name = "ca", mixinStandardHelpOptions = true,
        description = "The data space's certificate authority: create it, issue node and broker certificates.",
        footer = {"", "Examples:",
            "  ./sluice ca init --dir ca",
            "  ./sluice ca issue-server --dir ca --host 127.0.0.1",
            "  ./sluice ca issue-node --dir ca --node gpu-07 --region eu-central",
            "  ./sluice serve --tls-cert ca/server.crt --tls-key ca/server.key --client-ca ca/ca.crt"},
        subcommands = {CaCommand.Init.class, CaCommand.IssueNode.class, CaCommand.IssueServer.class})
public final class CaCommand implements Runnable {
    /** Where the key store password comes from when {@code --password-file} is not given. */
    static final String PASSWORD_VARIABLE = "SLUICE_KEYSTORE_PASSWORD";

    private final UnaryOperator<String> environment;

    /** The command as {@code sluice ca} runs it, reading the process environment. */
    public CaCommand() {
        this(System::getenv);
    }

    /** The command reading environment variables ({@code SLUICE_KEYSTORE_PASSWORD}) from {@code environment}: for tests and embedding. */
    public CaCommand(UnaryOperator<String> environment) {
        this.environment = requireNonNull(environment, "environment is null");
    }

    @Override
    public void run() {
        throw new CliException("name a subcommand: init, issue-node or issue-server (sluice ca --help)");
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Creates the data space's CA: DIR/ca.crt and DIR/ca.key (owner-only).",
                "Refuses to overwrite an existing CA."},
            footer = {"", "Example:", "  ./sluice ca init --dir ca"})
    static final class Init implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--dir", required = true, description = "directory for ca.crt and ca.key (created if missing)")
        Path dir;

        @Option(names = "--name", defaultValue = CertificateAuthority.DEFAULT_NAME,
                description = "the CA's common name (default: ${DEFAULT-VALUE})")
        String name;

        @Option(names = "--algorithm", defaultValue = "p256",
                description = "p256 (ECDSA P-256, works with every TLS client) or ed25519 (JDK-only TLS 1.3) (default: ${DEFAULT-VALUE})")
        String algorithm;

        @Option(names = "--days", defaultValue = "3650", description = "validity in days (default: ${DEFAULT-VALUE})")
        int days;

        @Override
        public Integer call() {
            CaAlgorithm chosen = CaAlgorithm.fromName(algorithm);
            CertificateAuthority ca;
            try {
                ca = CertificateAuthority.init(dir, name, chosen, days(days));
            } catch (IOException e) {
                throw failure(e, "could not create the CA in " + dir);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf("created CA \"%s\" (%s), valid until %s%n", name, chosen.cliName(), ca.certificate().getNotAfter().toInstant());
            out.printf("  certificate: %s%n", dir.resolve(CertificateAuthority.CERTIFICATE_FILE));
            out.printf("  private key: %s (keep it secret; the broker needs only the certificate)%n",
                    dir.resolve(CertificateAuthority.KEY_FILE));
            return 0;
        }
    }

    /** Options every issuing subcommand shares. */
    static final class IssueOptions {
        @Option(names = "--dir", required = true, description = "the CA's directory (from `sluice ca init`)")
        Path dir;

        @Option(names = "--days", defaultValue = "365", description = "validity in days (default: ${DEFAULT-VALUE})")
        int days;

        @Option(names = "--out", paramLabel = "PREFIX",
                description = "write PREFIX.crt, PREFIX.key and PREFIX.p12 (default: in the CA's directory)")
        Path out;

        // A file, never the password itself: a command line is visible to every user of the machine (ps).
        @Option(names = "--password-file", paramLabel = "FILE", description = "file holding the .p12 password (its"
                + " first line; default: $" + PASSWORD_VARIABLE + ", else a generated one, printed once)")
        Path passwordFile;

        CertificateAuthority load() {
            try {
                return CertificateAuthority.load(dir);
            } catch (IOException e) {
                throw failure(e, "could not read the CA in " + dir);
            }
        }

        /** Read as every secret file is ({@link Secret#readFile}): the whole file, less its trailing line end. */
        private static String password(Path file) {
            try {
                return Secret.readFile(file).value();
            } catch (IllegalArgumentException e) {
                throw new CliException("--password-file: " + e.getMessage());
            }
        }

        /** Writes the files and reports them; the password is printed only when it was generated. */
        int write(IssuedCertificate issued, Path defaultPrefix, CommandSpec spec, UnaryOperator<String> environment) {
            Path prefix = out != null ? out : defaultPrefix;
            String fromEnvironment = environment.apply(PASSWORD_VARIABLE);
            String fromFile = passwordFile == null ? null : password(passwordFile);
            boolean generated = fromFile == null && (fromEnvironment == null || fromEnvironment.isEmpty());
            char[] secret = fromFile != null ? fromFile.toCharArray()
                    : generated ? generatePassword() : fromEnvironment.toCharArray();
            CertificateFiles files;
            try {
                files = issued.writeTo(prefix, secret);
            } catch (IOException e) {
                throw failure(e, "could not write " + prefix + ".*");
            }
            PrintWriter printer = spec.commandLine().getOut();
            printer.printf("issued %s, serial %s, valid until %s%n", issued.certificate().getSubjectX500Principal().getName(),
                    issued.certificate().getSerialNumber().toString(16), issued.certificate().getNotAfter().toInstant());
            printer.printf("  certificate: %s%n", files.certificate());
            printer.printf("  private key: %s%n", files.privateKey());
            printer.printf("  key store:   %s (PKCS#12; also trusts the CA)%n", files.keyStore());
            if (generated) {
                printer.printf("  key store password (generated, shown only now): %s%n", new String(secret));
            }
            Arrays.fill(secret, '\0');
            return 0;
        }
    }

    @Command(name = "issue-node", mixinStandardHelpOptions = true,
            description = {"Issues a training node's client certificate.",
                "CN=<node id>, SAN URIs urn:sluice:node:<node id> and urn:sluice:region:<region>,",
                "extended key usage clientAuth. Writes PREFIX.crt, PREFIX.key and PREFIX.p12",
                "(default PREFIX: DIR/node-<node id>)."},
            footer = {"", "Example:", "  ./sluice ca issue-node --dir ca --node gpu-07 --region eu-central"
                + "   # ca/node-gpu-07.{crt,key,p12}"})
    static final class IssueNode implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        IssueOptions options = new IssueOptions();

        @Option(names = "--node", required = true, description = "the node id, e.g. gpu-07")
        String node;

        @Option(names = "--region", required = true, description = "the node's region, e.g. eu-central")
        String region;

        @ParentCommand
        CaCommand parent;

        @Override
        public Integer call() {
            CertificateAuthority ca = options.load();
            IssuedCertificate issued = ca.issueNode(node, region, days(options.days));
            return options.write(issued, options.dir.resolve("node-" + node), spec, parent.environment);
        }
    }

    @Command(name = "issue-server", mixinStandardHelpOptions = true,
            description = {"Issues the broker's server certificate.",
                "For the given hosts (IP addresses and DNS names), extended key usage serverAuth.",
                "Writes PREFIX.crt, PREFIX.key and PREFIX.p12 (default PREFIX: DIR/server)."},
            footer = {"", "Example:", "  ./sluice ca issue-server --dir ca --host 127.0.0.1 --host broker.example.org"})
    static final class IssueServer implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        IssueOptions options = new IssueOptions();

        @Option(names = "--host", required = true, description = "an IP address or DNS name the broker is reached at; repeatable")
        List<String> hosts;

        @ParentCommand
        CaCommand parent;

        @Override
        public Integer call() {
            CertificateAuthority ca = options.load();
            IssuedCertificate issued = ca.issueServer(hosts, days(options.days));
            return options.write(issued, options.dir.resolve("server"), spec, parent.environment);
        }
    }

    private static Duration days(int days) {
        if (days < 1) {
            throw new CliException("--days must be >= 1, was " + days);
        }
        return Duration.ofDays(days);
    }

    private static CliException failure(IOException e, String context) {
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return new CliException(fse.getReason());
        }
        return new CliException(context + ": " + e.getMessage());
    }

    private static char[] generatePassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).toCharArray();
    }
}
