package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The {@code Allow} header of a 405 (RFC 9110 15.5.6): the methods the router's routes take on
 * the requested path. Vert.x answers 405 without one, so clients could not learn what to use.
 */
final class AllowedMethods {
    /** A path parameter ({@code :id}) stands for one path segment. */
    private static final Pattern PARAMETER = Pattern.compile(":[A-Za-z0-9_]+");

    private final Router router;

    AllowedMethods(Router router) {
        this.router = requireNonNull(router, "router is null");
    }

    /** The methods, comma-separated and sorted, that some route takes on {@code path}; empty when none. */
    String on(String path) {
        Set<String> methods = new TreeSet<>();
        for (Route route : router.getRoutes()) {
            String pattern = route.getPath();
            if (pattern == null || route.methods() == null || route.methods().isEmpty() || !matches(route, path)) {
                continue;
            }
            route.methods().stream().map(HttpMethod::name).forEach(methods::add);
        }
        return String.join(", ", methods);
    }

    private static boolean matches(Route route, String path) {
        String name = route.getName() != null ? route.getName() : route.getPath();
        StringBuilder regex = new StringBuilder();
        int last = 0;
        var parameters = PARAMETER.matcher(name);
        while (parameters.find()) {
            regex.append(Pattern.quote(name.substring(last, parameters.start()))).append("[^/]+");
            last = parameters.end();
        }
        regex.append(Pattern.quote(name.substring(last)));
        return Pattern.matches(regex.toString(), path);
    }
}
