package io.sluice.broker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.TestHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Request smuggling over a raw socket: a body framed one way by the broker and another by a proxy
 * in front of it becomes a second request. RFC 9112 section 6.3: a Transfer-Encoding other than
 * exactly {@code chunked}, or one beside a Content-Length, is answered with 400 and the connection
 * closed, so the bytes after it are never read as a request.
 */
class RequestSmugglingIT {
    /** The request hidden in the body: its answer would be a second status line. */
    private static final String SMUGGLED = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] (\\d{3}) ");

    @TempDir
    Path dir;

    private Broker broker;

    @BeforeEach
    void start() {
        broker = Broker.start(BrokerConfig.embedded(dir));
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"xchunked", "identity", "gzip", "chunked, identity", "gzip, chunked", "chunked\r\nTransfer-Encoding: chunked",
            " chunked x", "chunked\r\nTransfer-Encoding: xchunked"})
    void aTransferEncodingOtherThanExactlyChunkedIs400AndTheConnectionCloses(String encoding) throws Exception {
        String attack = "POST /v1/dev/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: " + encoding + "\r\n\r\n" + SMUGGLED;

        String answer = exchange(attack);
        assertRefusedAndClosed(answer);
        assertThat(answer).contains("\"error\":\"bad_request\"", "Transfer-Encoding must be exactly 'chunked'");
    }

    @Test
    void contentLengthBesideTransferEncodingIs400AndTheBytesAfterTheLastChunkAreNeverServed() throws Exception {
        String chunkedBody = "0\r\n\r\n" + SMUGGLED;
        String attack = "POST /v1/dev/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + chunkedBody.length() + "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody;

        String answer = exchange(attack);
        assertRefusedAndClosed(answer);
        assertThat(answer).contains("\"message\":\"a request must not carry both Transfer-Encoding and Content-Length");
        // The other order of the two headers is the same attack.
        String reordered = "POST /v1/dev/token HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                + "Content-Length: " + chunkedBody.length() + "\r\n\r\n" + chunkedBody;
        assertRefusedAndClosed(exchange(reordered));
    }

    @Test
    void aPlainChunkedRequestIsStillServedAndPipeliningStillWorks() throws Exception {
        String json = "{\"subject\":\"s\",\"organisation\":\"ai-lab\",\"roles\":[\"data-consumer\"]}";
        String chunked = "POST /v1/dev/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(json.length()) + "\r\n" + json + "\r\n0\r\n\r\n";
        String closing = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

        String answer = exchange(chunked + closing);

        assertThat(statuses(answer)).as(answer).containsExactly("200", "200");
        assertThat(answer).contains("\"token\"", "\"status\":\"ok\"");
    }

    private void assertRefusedAndClosed(String answer) throws Exception {
        assertThat(statuses(answer)).as(answer).containsExactly("400");
        assertThat(answer).doesNotContain("\"status\":\"ok\"");
        assertThat(TestHttp.get(broker, "/health", null).statusCode()).isEqualTo(200);
    }

    private static java.util.List<String> statuses(String answer) {
        java.util.List<String> found = new java.util.ArrayList<>();
        Matcher matcher = STATUS_LINE.matcher(answer);
        while (matcher.find()) {
            found.add(matcher.group(1));
        }
        return found;
    }

    /**
     * Sends {@code request} and reads until the broker closes the connection; a broker that keeps
     * it open (waiting for the next request) fails the test after the read timeout.
     */
    private String exchange(String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", broker.uri().getPort()), 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    answer.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the broker kept the connection open after answering: "
                        + answer.toString(StandardCharsets.US_ASCII), e);
            }
            return answer.toString(StandardCharsets.US_ASCII);
        }
    }
}
