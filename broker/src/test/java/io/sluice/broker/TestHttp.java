package io.sluice.broker;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Plain HTTP against an in-process broker, for tests. */
public final class TestHttp {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern TOKEN = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"");

    private TestHttp() {}

    public static HttpResponse<String> get(Broker broker, String path, String token) throws IOException, InterruptedException {
        return get(broker.uri(), path, token);
    }

    public static HttpResponse<String> get(URI broker, String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(broker.resolve(path)).timeout(Duration.ofSeconds(30)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public static String getText(Broker broker, String path, String token) throws IOException, InterruptedException {
        return getText(broker.uri(), path, token);
    }

    public static String getText(URI broker, String path, String token) throws IOException, InterruptedException {
        HttpResponse<String> response = get(broker, path, token);
        if (response.statusCode() != 200) {
            throw new AssertionError(path + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    public static HttpResponse<String> post(Broker broker, String path, String token, String json)
            throws IOException, InterruptedException {
        return post(broker.uri(), path, token, json);
    }

    public static HttpResponse<String> post(URI broker, String path, String token, String json)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(broker.resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public static HttpResponse<String> put(Broker broker, String path, String token, String json)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(broker.uri().resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code DELETE}, with a JSON body when {@code json} is not null. */
    public static HttpResponse<String> delete(Broker broker, String path, String token, String json)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(broker.uri().resolve(path)).timeout(Duration.ofSeconds(30))
                .method("DELETE", json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public static String devToken(Broker broker, String subject, String organisation, String role)
            throws IOException, InterruptedException {
        return devToken(broker.uri(), subject, organisation, role);
    }

    /** The first {@code "id"} field of a JSON body. */
    public static String id(String json) {
        Matcher matcher = ID.matcher(json);
        if (!matcher.find()) {
            throw new AssertionError("no id in " + json);
        }
        return matcher.group(1);
    }

    public static String devToken(URI broker, String subject, String organisation, String role)
            throws IOException, InterruptedException {
        HttpResponse<String> response = post(broker, "/v1/dev/token", null, "{\"subject\":\"" + subject
                + "\",\"organisation\":\"" + organisation + "\",\"roles\":[\"" + role + "\"]}");
        Matcher matcher = TOKEN.matcher(response.body());
        if (response.statusCode() != 200 || !matcher.find()) {
            throw new AssertionError("dev token refused: " + response.statusCode() + " " + response.body());
        }
        return matcher.group(1);
    }

    /** Waits (10 s at most) until the broker answers {@code /health} with 200: it survived what the test did. */
    public static void awaitHealthy(Broker broker) throws InterruptedException {
        Poll.until(() -> {
            try {
                return get(broker, "/health", null).statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }, java.time.Duration.ofSeconds(10), "the broker answers /health");
    }

    /** Waits until the broker's latest signed checkpoint covers at least {@code size} records. */
    public static void awaitCheckpoint(Broker broker, String token, long size) throws InterruptedException {
        Poll.until(() -> {
            try {
                return get(broker, "/v1/audit/checkpoint", token).headers().firstValue("Sluice-Tree-Size")
                        .map(Long::parseLong).orElse(0L) >= size;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }, Duration.ofSeconds(30), "a signed checkpoint covering " + size + " records");
    }
}
