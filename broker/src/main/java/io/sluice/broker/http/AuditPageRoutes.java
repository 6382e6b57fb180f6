package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerConfig;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.util.Optional;

/**
 * What the compliance page ({@code /ui/audit/}) needs from the broker besides its static files: how
 * to sign in ({@code GET /ui/audit/config.json}, open, like the page itself) and the
 * Content-Security-Policy of every page file.
 *
 * <p>With an OIDC issuer the page signs in with the authorization code flow and PKCE against that
 * issuer's public client, so its scripts must reach the issuer (discovery, token and end-session
 * endpoints): the policy allows connections to the broker and to the issuer's origin, nothing else.
 * With the development issuer the page offers its token form and local sign-in instead, and may
 * connect to the broker only.
 */
final class AuditPageRoutes {
    static final String CONFIG_PATH = "/ui/audit/config.json";

    private final JsonObject config;
    private final String contentSecurityPolicy;

    private AuditPageRoutes(JsonObject config, String connectSources) {
        this.config = config;
        // frame-ancestors: no other site may frame the page (clickjacking on "Sign out" or the export).
        this.contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
                + " connect-src " + connectSources + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    /**
     * @param oidc the issuer the broker trusts, when it trusts one
     * @param development whether the broker runs its development token issuer
     */
    static AuditPageRoutes create(Optional<BrokerConfig.Oidc> oidc, boolean development) {
        requireNonNull(oidc, "oidc is null");
        if (oidc.isPresent()) {
            URI issuer = oidc.get().issuer();
            return new AuditPageRoutes(new JsonObject()
                    .put("signIn", "oidc")
                    .put("issuer", issuer.toString())
                    .put("clientId", oidc.get().pageClientId()), "'self' " + origin(issuer));
        }
        return new AuditPageRoutes(new JsonObject().put("signIn", development ? "development" : "token"), "'self'");
    }

    /** {@code GET /ui/audit/config.json}: nothing secret, the issuer's URL and a public client's id. */
    void config(RoutingContext ctx) {
        ctx.response().putHeader("Cache-Control", "no-store");
        Blocking.json(ctx, 200, config);
    }

    /** Sets the policy on every response under {@code /ui/}, then lets the static files answer. */
    void securityHeaders(RoutingContext ctx) {
        ctx.response()
                .putHeader("Content-Security-Policy", contentSecurityPolicy)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer");
        ctx.next();
    }

    private static String origin(URI uri) {
        int port = uri.getPort();
        return uri.getScheme() + "://" + uri.getHost() + (port < 0 ? "" : ":" + port);
    }
}
