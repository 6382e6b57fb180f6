package io.sluice.policy;

import io.sluice.policy.internal.DecisionEngine;
import io.sluice.policy.internal.OdrlPolicyParser;
import io.sluice.policy.internal.OfferBuilder;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The policy module's entry points: parse and validate a policy document, decide a request,
 * describe a policy for the catalog. Stateless and thread-safe.
 */
public final class Policies {
    private Policies() {}

    /**
     * Parses an ODRL 2.2 JSON policy with the Sluice profile and validates it against the
     * dataset's schema. Fails closed: any term it does not know is an error.
     *
     * @throws PolicyException naming the offending term and its place in the document
     */
    public static Policy parse(String json, Schema schema) {
        return OdrlPolicyParser.parse(json, schema);
    }

    /**
     * Decides one request to use the data. A denial is a returned value, never an exception.
     *
     * <p>A use/read prohibition whose constraints all hold denies ({@link ReasonCode#PROHIBITED}).
     * Otherwise the first permission whose constraints all hold decides; when none does, the
     * denial carries one reason per failing constraint over all permissions, each once. Under that
     * permission the columns are the requested ones in request order (a column named twice counts
     * once), or every column in schema order, less those its duties drop. Naming a dropped column,
     * or being left with no column, denies ({@link ReasonCode#COLUMN_NOT_PERMITTED}).
     *
     * @throws IllegalArgumentException if the request names a column the schema lacks: the caller
     *     checks that first and answers the requester itself
     */
    public static PolicyDecision decide(Policy policy, Schema schema, AccessRequest request) {
        return DecisionEngine.decide(policy, schema, request);
    }

    /**
     * The catalog's view of a policy: the purposes and organisations its permissions name with
     * {@code eq} or {@code isAnyOf}, the columns that can leave under at least one permission (in
     * schema order) and the transforms of those permissions.
     */
    public static PolicyOffer offer(Policy policy, Schema schema) {
        return OfferBuilder.offer(policy, schema);
    }
}
