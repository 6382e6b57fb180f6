package io.sluice.policy;

import io.sluice.policy.enforce.EnforcementPipeline;
import io.sluice.policy.internal.DecisionEngine;
import io.sluice.policy.internal.OdrlPolicyParser;
import io.sluice.policy.internal.OfferBuilder;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The policy module's entry points: parse and validate a policy document, decide a request,
 * describe a policy for the catalog, announce a grant's output schema. Enforcement on Arrow
 * batches is {@link EnforcementPipeline}; the row-filter language is
 * {@link io.sluice.policy.filter.RowFilters}. Stateless and thread-safe.
 */
public final class Policies {
    private Policies() {}

    /**
     * Parses an ODRL 2.2 JSON policy with the Sluice profile and validates it against the
     * dataset's schema. Fails closed: any term it does not know is an error.
     *
     * Purposes nest as in {@link PurposeHierarchy#DEFAULT}.
     *
     * @throws PolicyException naming the offending term and its place in the document
     */
    public static Policy parse(String json, Schema schema) {
        return OdrlPolicyParser.parse(json, schema, PurposeHierarchy.DEFAULT);
    }

    /**
     * Parses and validates a policy as {@link #parse(String, Schema)} does, with the broker's
     * configured purpose hierarchy, which later decisions on the returned policy use.
     *
     * @throws PolicyException naming the offending term and its place in the document (for a row
     *     filter also the 1-based position in the expression)
     */
    public static Policy parse(String json, Schema schema, PurposeHierarchy purposes) {
        return OdrlPolicyParser.parse(json, schema, purposes);
    }

    /**
     * Decides one request to use the data. A denial is a returned value, never an exception.
     * Deterministic and side-effect free: time, grant age, stream count and node come from the
     * request, never from a clock here. The broker decides when a grant is requested and again
     * when each stream is opened (with {@link AccessRequest#underGrant} and the grant's columns).
     *
     * <p>Combining rules:
     * <ol>
     *   <li>A use/read prohibition whose constraints all hold denies ({@link ReasonCode#PROHIBITED}),
     *       whatever the permissions say; a {@code distribute} prohibition never blocks a grant.
     *   <li>A policy without permissions denies ({@link ReasonCode#NO_PERMISSION}).
     *   <li>A permission applies when every one of its constraints holds; a logical constraint holds
     *       when all ({@code and}), at least one ({@code or}) or exactly one ({@code xone}) of its
     *       operands hold. Purposes match through the policy's {@link PurposeHierarchy}.
     *       {@code nodeId}/{@code nodeRegion} constraints fail when the attribute is absent.
     *   <li>The first permission in document order that applies and under which every requested
     *       column can leave (none of them dropped; with no columns requested, at least one column
     *       left) decides: the columns are the requested ones in request order (a column named twice
     *       counts once), or every non-dropped column in schema order; the permit carries that
     *       permission's duties and the transforms they report.
     *   <li>When no permission decides, the denial lists, each once and in document order, every
     *       failing constraint of every permission and, for permissions that apply, the requested
     *       columns they drop ({@link ReasonCode#COLUMN_NOT_PERMITTED}).
     * </ol>
     *
     * @throws IllegalArgumentException if the request names a column the schema lacks: the caller
     *     checks that first and answers the requester itself
     */
    public static PolicyDecision decide(Policy policy, Schema schema, AccessRequest request) {
        return DecisionEngine.decide(policy, schema, request);
    }

    /**
     * The schema of the batches a stream under {@code permit} delivers, for the grant response:
     * the permitted columns in order, a pseudonymised column as utf8, a column masked with null as
     * nullable. The same as {@link EnforcementPipeline#outputSchema()}.
     */
    public static Schema outputSchema(PolicyDecision.Permit permit, Schema schema) {
        return EnforcementPipeline.outputSchema(permit, schema);
    }

    /**
     * The catalog's view of a policy: the purposes and organisations its permissions name with
     * {@code eq} or {@code isAnyOf}, the columns that can leave under at least one permission (in
     * schema order) and the transforms of those permissions; per permission the rule itself and what
     * a grant under it would stream (columns, output schema, stream limit, expiry); the prohibitions.
     */
    public static PolicyOffer offer(Policy policy, Schema schema) {
        return OfferBuilder.offer(policy, schema);
    }

    /**
     * Every purpose the policy names in a {@code purpose} constraint, of a permission or a
     * prohibition, at any depth of {@code and}/{@code or}/{@code xone}: for the broker to check
     * them against its vocabulary ({@link PurposeHierarchy#knows}).
     */
    public static java.util.SortedSet<String> purposesNamed(Policy policy) {
        java.util.SortedSet<String> named = new java.util.TreeSet<>();
        java.util.stream.Stream.concat(policy.permissions().stream(), policy.prohibitions().stream())
                .forEach(rule -> rule.constraints().forEach(constraint -> collectPurposes(constraint, named)));
        return named;
    }

    private static void collectPurposes(Constraint constraint, java.util.Set<String> named) {
        switch (constraint) {
            case Constraint.Logical logical -> logical.constraints().forEach(c -> collectPurposes(c, named));
            case Constraint.Atomic atomic when atomic.leftOperand() == LeftOperand.PURPOSE -> {
                switch (atomic.rightOperand()) {
                    case RightOperand.Term term -> named.add(term.value());
                    case RightOperand.Terms terms -> named.addAll(terms.values());
                    default -> { }
                }
            }
            case Constraint.Atomic atomic -> { }
        }
    }
}
