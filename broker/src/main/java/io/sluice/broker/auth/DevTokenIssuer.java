package io.sluice.broker.auth;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * The embedded development token issuer: a fresh RS256 key per broker start, tokens shaped like
 * Keycloak's ({@code realm_access.roles}, an {@code organisation} claim), verified by the broker
 * through the issuer's JWKS exactly as a Keycloak realm's would be.
 *
 * <p>For local use only: anyone who can reach {@code POST /v1/dev/token} can mint any identity.
 */
public final class DevTokenIssuer {
    public static final String AUDIENCE = "sluice";
    public static final Duration TOKEN_LIFETIME = Duration.ofHours(1);

    private final String issuer;
    private final JsonObject publicJwk;
    private final JWTAuth signer;

    private DevTokenIssuer(String issuer, JsonObject publicJwk, JWTAuth signer) {
        this.issuer = issuer;
        this.publicJwk = publicJwk;
        this.signer = signer;
    }

    public static DevTokenIssuer create(Vertx vertx, String issuer) {
        requireNonNull(vertx, "vertx is null");
        requireNonNull(issuer, "issuer is null");
        KeyPair keyPair = newRsaKeyPair();
        String kid = "dev-" + UUID.randomUUID();
        RSAPublicKey publicKey = (RSAPublicKey) keyPair.getPublic();
        RSAPrivateCrtKey privateKey = (RSAPrivateCrtKey) keyPair.getPrivate();
        JsonObject publicJwk = new JsonObject()
                .put("kty", "RSA").put("use", "sig").put("alg", "RS256").put("kid", kid)
                .put("n", base64Url(publicKey.getModulus()))
                .put("e", base64Url(publicKey.getPublicExponent()));
        JsonObject privateJwk = publicJwk.copy()
                .put("d", base64Url(privateKey.getPrivateExponent()))
                .put("p", base64Url(privateKey.getPrimeP()))
                .put("q", base64Url(privateKey.getPrimeQ()))
                .put("dp", base64Url(privateKey.getPrimeExponentP()))
                .put("dq", base64Url(privateKey.getPrimeExponentQ()))
                .put("qi", base64Url(privateKey.getCrtCoefficient()));
        JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions().addJwk(privateJwk));
        return new DevTokenIssuer(issuer, publicJwk, signer);
    }

    public String issuer() {
        return issuer;
    }

    /** The issuer's key set, as a realm's {@code certs} endpoint would serve it. */
    public JsonObject jwks() {
        return new JsonObject().put("keys", new JsonArray().add(publicJwk.copy()));
    }

    /** Mints a token valid for {@link #TOKEN_LIFETIME}. */
    public String mint(String subject, String organisation, List<String> roles) {
        JsonObject claims = new JsonObject()
                .put("organisation", organisation)
                .put("realm_access", new JsonObject().put("roles", new JsonArray(List.copyOf(roles))))
                .put("azp", "sluice-dev");
        return sign(claims, new JWTOptions()
                .setIssuer(issuer)
                .setSubject(subject)
                .setAudience(List.of(AUDIENCE))
                .setExpiresInSeconds((int) TOKEN_LIFETIME.toSeconds()));
    }

    /**
     * Signs arbitrary claims with this issuer's key (RS256, its key id in the header, beside any
     * header fields {@code options} holds): for tests of the verifier.
     */
    String sign(JsonObject claims, JWTOptions options) {
        JsonObject header = options.getHeader() == null ? new JsonObject() : options.getHeader().copy();
        return signer.generateToken(claims, options.setAlgorithm("RS256")
                .setHeader(header.put("kid", publicJwk.getString("kid"))));
    }

    private static KeyPair newRsaKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("RSA is missing from this JDK", e);
        }
    }

    private static String base64Url(BigInteger value) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
