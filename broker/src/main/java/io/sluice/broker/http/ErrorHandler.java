package io.sluice.broker.http;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditUnavailableException;
import io.sluice.broker.auth.AuthenticationException;
import io.sluice.broker.logging.MdcScope;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.policy.PolicyException;
import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become HTTP responses:
 * {@code {"code", "error", "message", "requestId", "reasons"}}. User errors say what to fix;
 * internal errors say only that something failed and which request it was, and the stack trace
 * goes to the server log under that request id.
 */
public final class ErrorHandler implements Handler<RoutingContext> {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorHandler.class);
    private static final String RETRY_AFTER_SECONDS = "5";

    private ErrorHandler() {}

    public static ErrorHandler create() {
        return new ErrorHandler();
    }

    @Override
    public void handle(RoutingContext ctx) {
        if (ctx.response().headWritten()) {
            // A stream already sent its headers; all we can do is cut the connection.
            ctx.response().reset();
            return;
        }
        Problem problem = problem(ctx);
        try (MdcScope scope = LogContext.open(ctx)) {
            if (problem.status() == 502 || problem.status() == 504) {
                // A source that failed or timed out is the source's story, told in the message: no trace, so that a
                // flood of slow sources does not bury the broker's own errors.
                LOG.warn("request {} {} {} failed: {}", RequestIds.of(ctx), ctx.request().method(),
                        ctx.request().path(), problem.message());
            } else if (problem.status() >= 500) {
                LOG.error("request {} {} {} failed", RequestIds.of(ctx), ctx.request().method(), ctx.request().path(),
                        ctx.failure());
            }
        }
        JsonObject body = new JsonObject()
                .put("code", problem.code())
                .put("error", problem.error())
                .put("message", problem.message())
                .put("requestId", RequestIds.of(ctx));
        if (!problem.reasons().isEmpty()) {
            body.put("reasons", problem.reasons());
        }
        if (problem.status() == 429 || problem.status() == 503) {
            // Streams end and shutdowns finish: a client may come back (RFC 9110 10.2.3).
            ctx.response().putHeader("Retry-After", RETRY_AFTER_SECONDS);
        }
        ctx.response()
                .setStatusCode(problem.status())
                .putHeader("Content-Type", "application/json")
                .end(body.encode());
    }

    private record Problem(int status, int code, String error, String message, JsonArray reasons) {
        static Problem of(BrokerErrorCode code, String message) {
            return new Problem(code.httpStatus(), code.code(), code.errorName(), message, new JsonArray());
        }
    }

    private static Problem problem(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        return switch (failure) {
            case BrokerException e -> {
                JsonArray reasons = new JsonArray();
                e.reasons().forEach(r -> reasons.add(new JsonObject().put("code", r.code()).put("message", r.message())));
                yield new Problem(e.errorCode().httpStatus(), e.errorCode().code(), e.errorCode().errorName(),
                        e.getMessage(), reasons);
            }
            case AuthenticationException e -> Problem.of(BrokerErrorCode.UNAUTHENTICATED, e.getMessage());
            case PolicyException e -> new Problem(400, e.errorCode().code(),
                    e.errorCode().name().toLowerCase(java.util.Locale.ROOT), "invalid policy: " + e.getMessage(),
                    new JsonArray());
            case ConnectorException e -> new Problem(connectorStatus(e.errorCode()), e.errorCode().code(),
                    e.errorCode().name().toLowerCase(java.util.Locale.ROOT), e.getMessage(), new JsonArray());
            // Bodies are read by JsonBodies, which says where and why; the decoder's own message
            // quotes the input and names parser internals.
            case DecodeException e -> Problem.of(BrokerErrorCode.MALFORMED_JSON, "the request body is not valid JSON");
            case AuditUnavailableException e -> Problem.of(BrokerErrorCode.AUDIT_UNAVAILABLE,
                    "the audit log cannot be written, so the request was not performed; try again later");
            case null -> statusOnly(ctx.statusCode());
            default -> Problem.of(BrokerErrorCode.INTERNAL,
                    "the broker failed to handle this request; quote request id " + RequestIds.of(ctx));
        };
    }

    private static int connectorStatus(ConnectorErrorCode code) {
        if (code == ConnectorErrorCode.SOURCE_CHANGED) {
            return 409;
        }
        if (code == ConnectorErrorCode.SOURCE_TIMED_OUT) {
            // The source's database, upstream of the broker, did not answer in time (RFC 9110 15.6.5).
            return 504;
        }
        return switch (code.category()) {
            case USER -> 400;
            case RESOURCES -> 503;
            case EXTERNAL -> 502;
            case INTERNAL -> 500;
        };
    }

    private static Problem statusOnly(int status) {
        return switch (status) {
            case 404 -> Problem.of(BrokerErrorCode.NOT_FOUND, "no such resource");
            case 405 -> new Problem(405, BrokerErrorCode.BAD_REQUEST.code(), "method_not_allowed",
                    "this method is not allowed here", new JsonArray());
            case 413 -> Problem.of(BrokerErrorCode.PAYLOAD_TOO_LARGE, "the request body is too large");
            case 400 -> Problem.of(BrokerErrorCode.BAD_REQUEST, "bad request");
            default -> status >= 400 && status < 500
                    ? new Problem(status, BrokerErrorCode.BAD_REQUEST.code(), "bad_request", "request refused", new JsonArray())
                    : Problem.of(BrokerErrorCode.INTERNAL, "the broker failed to handle this request");
        };
    }
}
