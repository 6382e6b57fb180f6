package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.service.Ids;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses the request framings that let a body be read as a second request (request smuggling),
 * as RFC 9112 section 6.3 asks: a {@code Transfer-Encoding} other than exactly {@code chunked} (the
 * broker decodes no other coding, and Netty would then read the body as the next request), and a
 * {@code Transfer-Encoding} beside a {@code Content-Length} (a proxy in front may frame by the one,
 * the broker by the other). Such a request is answered with 400 and its connection closed.
 *
 * <p>It must be decided while the request's head is decoded, before any byte of its body is read:
 * Netty drops the {@code Content-Length} of a chunked request before anything after its decoder
 * sees it. So each HTTP/1.x connection gets a request decoder that checks the head and, on a bad
 * framing, marks the request as failed to decode: Netty then discards every later byte of the
 * connection, {@link #invalidRequests()} answers 400, and Vert.x closes the connection.
 */
public final class StrictFraming {
    private static final Logger LOG = LoggerFactory.getLogger(StrictFraming.class);
    /** The name Vert.x 5 gives its request decoder in a connection's pipeline. */
    static final String DECODER = "httpDecoder";

    private StrictFraming() {}

    /**
     * The server's connection handler: swaps in the checking decoder. Vert.x calls it while it
     * builds the connection's pipeline, before the first byte is read.
     */
    public static Handler<HttpConnection> installer(HttpServerOptions options) {
        requireNonNull(options, "options is null");
        return connection -> {
            ChannelPipeline pipeline = connection instanceof ConnectionBase base
                    ? base.channelHandlerContext().pipeline() : null;
            ChannelHandler decoder = pipeline == null ? null : pipeline.get(DECODER);
            if (decoder instanceof CheckingDecoder) {
                return;
            }
            if (decoder instanceof VertxHttpRequestDecoder) {
                pipeline.replace(DECODER, DECODER, new CheckingDecoder(options));
                return;
            }
            // A Vert.x whose pipeline looks different: serve nothing unchecked.
            LOG.error("closing a connection whose requests cannot be checked for ambiguous framing (pipeline {})",
                    pipeline == null ? connection.getClass().getName() : pipeline.names());
            connection.close();
        };
    }

    /**
     * The server's handler of requests that failed to decode: a refused framing is answered with
     * the contract's error shape and {@code Connection: close} (Vert.x closes the connection after
     * any such answer); every other decoding failure (a head too long, a broken line) keeps Vert.x's
     * own answer.
     */
    public static Handler<HttpServerRequest> invalidRequests() {
        return request -> {
            if (!(request.decoderResult().cause() instanceof FramingException refused)) {
                HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
                return;
            }
            String requestId = Ids.next("rq");
            // Not audited (no identity yet, and anyone could fill the log), but the operator sees who tried.
            LOG.warn("request {} from {} refused: {}", requestId, request.remoteAddress(), refused.getMessage());
            request.response().setStatusCode(400)
                    .putHeader("Content-Type", "application/json")
                    .putHeader("Connection", "close")
                    .putHeader("Sluice-Request-Id", requestId)
                    .end(new JsonObject()
                            .put("code", BrokerErrorCode.BAD_REQUEST.code())
                            .put("error", BrokerErrorCode.BAD_REQUEST.errorName())
                            .put("message", refused.getMessage())
                            .put("requestId", requestId)
                            .encode());
        };
    }

    /** Why the head of a request frames its body ambiguously, or empty when it does not. */
    static Optional<String> problem(HttpHeaders headers) {
        List<String> encodings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (encodings.isEmpty()) {
            return Optional.empty();
        }
        if (encodings.size() != 1 || !encodings.getFirst().trim().equalsIgnoreCase("chunked")) {
            return Optional.of("Transfer-Encoding must be exactly 'chunked', was " + encodings
                    + "; the broker decodes no other transfer coding");
        }
        if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            return Optional.of("a request must not carry both Transfer-Encoding and Content-Length");
        }
        return Optional.empty();
    }

    /** Thrown inside the decoder: Netty turns it into a request that failed to decode. */
    static final class FramingException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        FramingException(String message) {
            super(message);
        }
    }

    private static final class CheckingDecoder extends VertxHttpRequestDecoder {
        CheckingDecoder(HttpServerOptions options) {
            super(options);
        }

        /**
         * Netty's one hook that sees every request's complete head before it decides how the body
         * is framed (and before it removes a chunked request's {@code Content-Length}).
         */
        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage message) {
            Optional<String> problem = problem(message.headers());
            if (problem.isPresent()) {
                throw new FramingException(problem.get());
            }
            return super.isContentAlwaysEmpty(message);
        }
    }
}
