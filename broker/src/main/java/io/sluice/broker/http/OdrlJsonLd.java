package io.sluice.broker.http;

import io.sluice.policy.Constraint;
import io.sluice.policy.Duty;
import io.sluice.policy.Generalisation;
import io.sluice.policy.LeftOperand;
import io.sluice.policy.OfferedPermission;
import io.sluice.policy.PolicyOffer;
import io.sluice.policy.RightOperand;
import io.sluice.policy.Rule;
import io.sluice.policy.filter.Literal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * A policy offer as ODRL 2.2 in JSON-LD, written from the parsed policy model (never from the
 * owner's JSON text), with the prefixes of {@link DcatCatalog#CONTEXT}. Terms ODRL defines are ODRL's
 * ({@code odrl:purpose}, {@code odrl:count}, {@code odrl:isAnyOf}, {@code odrl:use}); the Sluice
 * profile's own left operands and duties are {@code sluice:} terms. Each permission also says what a
 * grant under it streams ({@code sluice:outputSchema}, {@code sluice:maxStreams}, {@code sluice:expiresAt}).
 */
final class OdrlJsonLd {
    private OdrlJsonLd() {}

    /**
     * @param iri the offer's IRI (one per dataset and policy version)
     * @param target the dataset's IRI
     * @param assigner the owning organisation's IRI
     */
    static JsonObject offer(String iri, String target, String assigner, PolicyOffer offer) {
        JsonArray permissions = new JsonArray();
        offer.permissions().forEach(p -> permissions.add(permission(p)));
        JsonArray prohibitions = new JsonArray();
        offer.prohibitions().forEach(p -> prohibitions.add(prohibition(p)));
        JsonObject json = new JsonObject()
                .put("@id", iri)
                .put("@type", "odrl:Offer")
                .put("odrl:target", id(target))
                .put("odrl:assigner", id(assigner));
        putUnlessEmpty(json, "odrl:permission", permissions);
        putUnlessEmpty(json, "odrl:prohibition", prohibitions);
        offer.maxStreams().ifPresent(max -> json.put("sluice:maxStreams", integer(max)));
        offer.expiresAt().ifPresent(at -> json.put("sluice:expiresAt", dateTime(at)));
        return json;
    }

    private static JsonObject permission(OfferedPermission offered) {
        Rule.Permission permission = offered.permission();
        JsonArray duties = new JsonArray();
        permission.duties().forEach(d -> duties.add(duty(d)));
        JsonObject json = new JsonObject()
                .put("@type", "odrl:Permission")
                .put("odrl:action", id("odrl:" + permission.action().odrlName()))
                .put("sluice:outputSchema", DcatCatalog.columns(offered.outputSchema()));
        putUnlessEmpty(json, "odrl:constraint", constraints(permission.constraints()));
        putUnlessEmpty(json, "odrl:duty", duties);
        offered.maxStreams().ifPresent(max -> json.put("sluice:maxStreams", integer(max)));
        offered.expiresAt().ifPresent(at -> json.put("sluice:expiresAt", dateTime(at)));
        return json;
    }

    private static JsonObject prohibition(Rule.Prohibition prohibition) {
        JsonObject json = new JsonObject()
                .put("@type", "odrl:Prohibition")
                .put("odrl:action", id("odrl:" + prohibition.action().odrlName()));
        putUnlessEmpty(json, "odrl:constraint", constraints(prohibition.constraints()));
        return json;
    }

    private static void putUnlessEmpty(JsonObject json, String property, JsonArray values) {
        if (!values.isEmpty()) {
            json.put(property, values);
        }
    }

    private static JsonArray constraints(List<Constraint> constraints) {
        JsonArray array = new JsonArray();
        constraints.forEach(c -> array.add(constraint(c)));
        return array;
    }

    private static JsonObject constraint(Constraint constraint) {
        return switch (constraint) {
            case Constraint.Atomic atomic -> new JsonObject()
                    .put("@type", "odrl:Constraint")
                    .put("odrl:leftOperand", id(leftOperand(atomic.leftOperand())))
                    .put("odrl:operator", id("odrl:" + atomic.operator().odrlName()))
                    .put("odrl:rightOperand", rightOperand(atomic.rightOperand()));
            // ODRL's logical operands are ordered lists of constraints.
            case Constraint.Logical logical -> new JsonObject()
                    .put("@type", "odrl:LogicalConstraint")
                    .put("odrl:" + logical.operator().odrlName(),
                            new JsonObject().put("@list", constraints(logical.constraints())));
        };
    }

    private static String leftOperand(LeftOperand operand) {
        return switch (operand) {
            case PURPOSE, DATE_TIME, ELAPSED_TIME, COUNT -> "odrl:" + operand.odrlName();
            // ODRL has no operand for these facts about the requester and the node: the profile's own.
            case ORGANISATION, ROLE, NODE_ID, NODE_REGION -> "sluice:" + operand.odrlName();
        };
    }

    private static Object rightOperand(RightOperand operand) {
        return switch (operand) {
            case RightOperand.Term term -> term.value();
            case RightOperand.Terms terms -> new JsonArray(terms.values());
            case RightOperand.DateTime time -> dateTime(time.value());
            case RightOperand.Duration duration -> typed(duration.value().toString(), "xsd:duration");
            case RightOperand.Count count -> integer(count.value());
        };
    }

    private static JsonObject duty(Duty duty) {
        JsonObject json = new JsonObject().put("@type", "odrl:Duty");
        switch (duty) {
            case Duty.Drop drop -> json.put("odrl:action", id("sluice:drop"));
            case Duty.Pseudonymise p -> json.put("odrl:action", id("sluice:pseudonymise"))
                    .put("sluice:output", "hmac-sha256-hex");
            case Duty.Generalise g -> {
                json.put("odrl:action", id("sluice:generalise"));
                switch (g.how()) {
                    case Generalisation.Truncate truncate -> json.put("sluice:to", truncate.unit().odrlName());
                    case Generalisation.Bucket bucket ->
                            json.put("sluice:width", typed(bucket.width().toPlainString(), "xsd:decimal"));
                    case Generalisation.Prefix prefix -> json.put("sluice:prefix", integer(prefix.length()));
                }
            }
            case Duty.Mask mask -> json.put("odrl:action", id("sluice:mask"))
                    .put("sluice:with", mask.with().map(Literal::sql).orElse("NULL"));
            case Duty.RowFilter filter -> json.put("odrl:action", id("sluice:rowFilter"))
                    .put("sluice:expression", filter.predicate().sql());
        }
        return json.put("sluice:column", new JsonObject().put("@list", new JsonArray(duty.columns())));
    }

    static JsonObject id(String iri) {
        return new JsonObject().put("@id", iri);
    }

    static JsonObject dateTime(Instant instant) {
        return typed(instant.toString(), "xsd:dateTime");
    }

    static JsonObject integer(long value) {
        return new JsonObject().put("@value", value).put("@type", "xsd:integer");
    }

    private static JsonObject typed(String value, String type) {
        return new JsonObject().put("@value", value).put("@type", type);
    }
}
