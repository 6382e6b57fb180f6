package io.sluice.broker.auth;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;

/**
 * Finds an OIDC issuer's key set: {@code ISSUER/.well-known/openid-configuration} names the
 * {@code jwks_uri}; the document's own {@code issuer} must equal the configured one, or tokens would
 * be checked against the wrong name.
 */
public final class OidcDiscovery {
    private final HttpClient http;
    private final URI issuer;

    public OidcDiscovery(Vertx vertx, URI issuer) {
        this.http = requireNonNull(vertx, "vertx is null").createHttpClient(new HttpClientOptions()
                .setConnectTimeout(5_000));
        this.issuer = requireNonNull(issuer, "issuer is null");
    }

    /** The issuer's current key set. */
    public Future<JsonObject> jwks() {
        String base = issuer.toString().replaceAll("/+$", "");
        return getJson(base + "/.well-known/openid-configuration").compose(configuration -> {
            String advertised = configuration.getString("issuer", "");
            if (!advertised.equals(base)) {
                return Future.failedFuture(new IllegalStateException("the OIDC issuer calls itself '" + advertised
                        + "', not '" + base + "'; start it with a fixed host name or configure that URL"));
            }
            String jwksUri = configuration.getString("jwks_uri");
            if (jwksUri == null) {
                return Future.failedFuture(new IllegalStateException(base + " publishes no jwks_uri"));
            }
            return getJson(jwksUri);
        });
    }

    private Future<JsonObject> getJson(String url) {
        return http.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url).setTimeout(10_000))
                .compose(request -> request.send())
                .compose(response -> response.statusCode() == 200
                        ? response.body().map(body -> body.toJsonObject())
                        : Future.failedFuture(new IllegalStateException(url + " answered " + response.statusCode())))
                .recover(e -> Future.failedFuture(new IllegalStateException("cannot fetch " + url + ": " + e.getMessage(), e)));
    }
}
