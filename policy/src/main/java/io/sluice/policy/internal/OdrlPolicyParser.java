package io.sluice.policy.internal;

import static io.sluice.policy.PolicyErrorCode.INVALID_RIGHT_OPERAND;
import static io.sluice.policy.PolicyErrorCode.MALFORMED_POLICY;
import static io.sluice.policy.PolicyErrorCode.UNKNOWN_ACTION;
import static io.sluice.policy.PolicyErrorCode.UNKNOWN_COLUMN;
import static io.sluice.policy.PolicyErrorCode.UNKNOWN_LEFT_OPERAND;
import static io.sluice.policy.PolicyErrorCode.UNKNOWN_OPERATOR;
import static io.sluice.policy.PolicyErrorCode.UNKNOWN_TERM;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.sluice.policy.Action;
import io.sluice.policy.Constraint;
import io.sluice.policy.Duty;
import io.sluice.policy.LeftOperand;
import io.sluice.policy.Operator;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyException;
import io.sluice.policy.RightOperand;
import io.sluice.policy.Rule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Reads an ODRL 2.2 JSON policy in the Sluice profile into a {@link Policy}, refusing every term it
 * does not know (fail closed). Each error names the term and its place, e.g.
 * {@code permission[0].constraint[1].leftOperand}. Stateless apart from the schema it checks
 * against; one instance per document.
 */
public final class OdrlPolicyParser {
    private static final JsonMapper JSON = JsonMapper.builder()
            // Two "action" keys in one rule must not let the second silently win.
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final List<String> POLICY_KEYS = List.of("@context", "@type", "uid", "permission", "prohibition");
    private static final List<String> POLICY_TYPES = List.of("Set", "Offer", "Agreement");
    private static final List<String> PERMISSION_KEYS = List.of("action", "constraint", "duty");
    private static final List<String> PROHIBITION_KEYS = List.of("action", "constraint");
    private static final List<String> CONSTRAINT_KEYS = List.of("leftOperand", "operator", "rightOperand");
    private static final List<String> DROP_KEYS = List.of("action", "target");
    private static final String DROP = "sluice:drop";
    private static final List<String> PLANNED_DUTIES =
            List.of("sluice:pseudonymise", "sluice:generalise", "sluice:mask", "sluice:rowFilter");
    private static final int MAX_QUOTED = 80;

    private final List<String> columns;

    private OdrlPolicyParser(Schema schema) {
        this.columns = schema.getFields().stream().map(Field::getName).toList();
    }

    /** See {@link io.sluice.policy.Policies#parse}. */
    public static Policy parse(String json, Schema schema) {
        requireNonNull(json, "json is null");
        requireNonNull(schema, "schema is null");
        return new OdrlPolicyParser(schema).policy(json);
    }

    private Policy policy(String json) {
        JsonNode root = readTree(json);
        if (!root.isObject()) {
            throw new PolicyException(MALFORMED_POLICY, "policy must be a JSON object, was " + kind(root));
        }
        checkKeys(root, "", POLICY_KEYS, "a policy");
        JsonNode context = root.get("@context");
        if (context != null && !isContext(context)) {
            throw malformed("@context", "must be a string, an object or an array of them", context);
        }
        String type = requiredText(root, "", "@type");
        if (!POLICY_TYPES.contains(type)) {
            throw new PolicyException(UNKNOWN_TERM, "@type: unknown policy type " + quote(type)
                    + "; Sluice takes " + String.join(", ", POLICY_TYPES));
        }
        Optional<String> uid = Optional.ofNullable(root.get("uid")).map(node -> text(node, "uid"));
        JsonNode permissionNode = root.get("permission");
        if (permissionNode == null) {
            throw new PolicyException(MALFORMED_POLICY, "permission: missing; a policy needs at least one permission");
        }
        List<Rule.Permission> permissions = array(permissionNode, "permission", this::permission);
        if (permissions.isEmpty()) {
            throw new PolicyException(MALFORMED_POLICY, "permission: empty; a policy needs at least one permission");
        }
        List<Rule.Prohibition> prohibitions = Optional.ofNullable(root.get("prohibition"))
                .map(node -> array(node, "prohibition", this::prohibition))
                .orElse(List.of());
        return new Policy(json, uid, permissions, prohibitions);
    }

    private static JsonNode readTree(String json) {
        try (JsonParser parser = JSON.createParser(json)) {
            JsonNode root = JSON.readTree(parser);
            if (root == null || root.isMissingNode()) {
                throw new PolicyException(MALFORMED_POLICY, "policy is empty");
            }
            if (parser.nextToken() != null) {
                throw new PolicyException(MALFORMED_POLICY,
                        "policy has more text after its JSON value" + where(parser.currentTokenLocation()));
            }
            return root;
        } catch (JacksonException e) {
            throw new PolicyException(MALFORMED_POLICY,
                    "policy is not valid JSON" + where(e.getLocation()) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("reading a string cannot fail", e);
        }
    }

    private static String where(JsonLocation location) {
        return location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    private static boolean isContext(JsonNode node) {
        if (node.isArray()) {
            for (JsonNode element : node) {
                if (!element.isTextual() && !element.isObject()) {
                    return false;
                }
            }
            return true;
        }
        return node.isTextual() || node.isObject();
    }

    private Rule.Permission permission(JsonNode node, String at) {
        requireObject(node, at);
        checkKeys(node, at, PERMISSION_KEYS, "a permission");
        Action action = action(node, at, true);
        List<Constraint> constraints = constraints(node, at);
        List<Duty> duties = Optional.ofNullable(node.get("duty"))
                .map(duty -> array(duty, at + ".duty", this::duty))
                .orElse(List.of());
        return new Rule.Permission(action, constraints, duties);
    }

    private Rule.Prohibition prohibition(JsonNode node, String at) {
        requireObject(node, at);
        checkKeys(node, at, PROHIBITION_KEYS, "a prohibition");
        return new Rule.Prohibition(action(node, at, false), constraints(node, at));
    }

    private static Action action(JsonNode rule, String at, boolean permission) {
        String name = requiredText(rule, at, "action");
        List<Action> allowed = Arrays.stream(Action.values())
                .filter(action -> !permission || action.grantable())
                .toList();
        String bare = name.startsWith("odrl:") ? name.substring("odrl:".length()) : name;
        for (Action action : allowed) {
            if (action.odrlName().equals(bare)) {
                return action;
            }
        }
        String rules = permission ? "a permission" : "a prohibition";
        throw new PolicyException(UNKNOWN_ACTION, at + ".action: unknown action " + quote(name) + " for " + rules
                + "; Sluice takes " + allowed.stream().map(Action::odrlName).collect(Collectors.joining(", ")));
    }

    private List<Constraint> constraints(JsonNode rule, String at) {
        return Optional.ofNullable(rule.get("constraint"))
                .map(node -> array(node, at + ".constraint", OdrlPolicyParser::constraint))
                .orElse(List.of());
    }

    private static Constraint constraint(JsonNode node, String at) {
        requireObject(node, at);
        checkKeys(node, at, CONSTRAINT_KEYS, "a constraint");
        String leftName = requiredText(node, at, "leftOperand");
        String operatorName = requiredText(node, at, "operator");
        JsonNode right = node.get("rightOperand");
        if (right == null) {
            throw new PolicyException(MALFORMED_POLICY, at + ": missing 'rightOperand'");
        }
        LeftOperand left = Arrays.stream(LeftOperand.values())
                .filter(operand -> operand.odrlName().equals(leftName))
                .findFirst()
                .orElseThrow(() -> new PolicyException(UNKNOWN_LEFT_OPERAND, at + ".leftOperand: unknown leftOperand "
                        + quote(leftName) + "; Sluice takes " + Arrays.stream(LeftOperand.values())
                                .map(LeftOperand::odrlName).collect(Collectors.joining(", "))));
        Operator operator = left.operators().stream()
                .filter(candidate -> candidate.odrlName().equals(operatorName))
                .findFirst()
                .orElseThrow(() -> unknownOperator(left, operatorName, at));
        return new Constraint.Atomic(left, operator, rightOperand(right, operator, at + ".rightOperand"));
    }

    private static PolicyException unknownOperator(LeftOperand left, String name, String at) {
        boolean known = Arrays.stream(Operator.values()).anyMatch(operator -> operator.odrlName().equals(name));
        String problem = known
                ? "operator " + quote(name) + " does not apply to " + left.odrlName()
                : "unknown operator " + quote(name);
        return new PolicyException(UNKNOWN_OPERATOR,
                at + ".operator: " + problem + "; " + left.odrlName() + " takes " + left.operatorNames());
    }

    private static RightOperand rightOperand(JsonNode node, Operator operator, String at) {
        return switch (operator) {
            case EQ, NEQ -> new RightOperand.Term(term(node, at, operator));
            case IS_ANY_OF, IS_NONE_OF -> {
                if (!node.isArray() || node.isEmpty()) {
                    throw invalidRight(at, operator, "a non-empty array of strings", node);
                }
                List<String> values = new ArrayList<>();
                for (int i = 0; i < node.size(); i++) {
                    values.add(term(node.get(i), at + "[" + i + "]", operator));
                }
                yield new RightOperand.Terms(values);
            }
            case LT, LTEQ, GT, GTEQ -> {
                if (!node.isTextual()) {
                    throw invalidRight(at, operator, "an RFC 3339 date-time such as 2027-12-31T00:00:00Z", node);
                }
                try {
                    yield new RightOperand.DateTime(
                            OffsetDateTime.parse(node.textValue(), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
                } catch (DateTimeParseException e) {
                    throw new PolicyException(INVALID_RIGHT_OPERAND, at + ": " + quote(node.textValue())
                            + " is not an RFC 3339 date-time such as 2027-12-31T00:00:00Z");
                }
            }
        };
    }

    private static String term(JsonNode node, String at, Operator operator) {
        if (!node.isTextual() || node.textValue().isBlank()) {
            throw invalidRight(at, operator, "a non-blank string", node);
        }
        return node.textValue();
    }

    private static PolicyException invalidRight(String at, Operator operator, String expected, JsonNode was) {
        return new PolicyException(INVALID_RIGHT_OPERAND,
                at + ": operator " + operator.odrlName() + " takes " + expected + ", was " + describe(was));
    }

    private Duty duty(JsonNode node, String at) {
        requireObject(node, at);
        String action = requiredText(node, at, "action");
        if (PLANNED_DUTIES.contains(action)) {
            throw new PolicyException(UNKNOWN_ACTION, at + ".action: duty " + quote(action)
                    + " is not supported yet; Sluice takes " + DROP);
        }
        if (!action.equals(DROP)) {
            throw new PolicyException(UNKNOWN_ACTION, at + ".action: unknown duty " + quote(action)
                    + "; Sluice takes " + DROP);
        }
        checkKeys(node, at, DROP_KEYS, "a " + DROP + " duty");
        JsonNode target = node.get("target");
        if (target == null) {
            throw new PolicyException(MALFORMED_POLICY, at + ": missing 'target'");
        }
        List<String> dropped = new ArrayList<>();
        if (target.isTextual()) {
            dropped.add(column(target, at + ".target"));
        } else if (target.isArray() && !target.isEmpty()) {
            for (int i = 0; i < target.size(); i++) {
                dropped.add(column(target.get(i), at + ".target[" + i + "]"));
            }
        } else {
            throw malformed(at + ".target", "must be a column name or a non-empty array of column names", target);
        }
        return new Duty.Drop(dropped);
    }

    private String column(JsonNode node, String at) {
        if (!node.isTextual()) {
            throw malformed(at, "must be a column name", node);
        }
        String name = node.textValue();
        if (!columns.contains(name)) {
            throw new PolicyException(UNKNOWN_COLUMN,
                    at + ": unknown column " + quote(name) + "; the dataset has columns " + columns);
        }
        return name;
    }

    private static <T> List<T> array(JsonNode node, String at, BiFunction<JsonNode, String, T> element) {
        if (!node.isArray()) {
            throw malformed(at, "must be an array", node);
        }
        List<T> result = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            result.add(element.apply(node.get(i), at + "[" + i + "]"));
        }
        return result;
    }

    private static void checkKeys(JsonNode node, String at, List<String> allowed, String what) {
        for (Map.Entry<String, JsonNode> property : node.properties()) {
            String key = property.getKey();
            if (!allowed.contains(key)) {
                throw new PolicyException(UNKNOWN_TERM, path(at, key) + ": unknown term " + quote(key) + "; "
                        + what + " takes " + String.join(", ", allowed));
            }
        }
    }

    private static String requiredText(JsonNode node, String at, String key) {
        JsonNode value = node.get(key);
        if (value == null) {
            throw new PolicyException(MALFORMED_POLICY, (at.isEmpty() ? "policy" : at) + ": missing " + quote(key));
        }
        return text(value, path(at, key));
    }

    private static String text(JsonNode node, String at) {
        if (!node.isTextual()) {
            throw malformed(at, "must be a string", node);
        }
        return node.textValue();
    }

    private static void requireObject(JsonNode node, String at) {
        if (!node.isObject()) {
            throw malformed(at, "must be an object", node);
        }
    }

    private static PolicyException malformed(String at, String rule, JsonNode was) {
        return new PolicyException(MALFORMED_POLICY, at + ": " + rule + ", was " + describe(was));
    }

    private static String path(String at, String key) {
        return at.isEmpty() ? key : at + "." + key;
    }

    private static String describe(JsonNode node) {
        return node.isTextual() ? "the string " + quote(node.textValue()) : kind(node);
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> node.isEmpty() ? "an empty array" : "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "the number " + node.asText();
            case BOOLEAN -> "the boolean " + node.asText();
            case NULL -> "null";
            case BINARY, MISSING, POJO -> node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    /** Quotes a term from the document for a message; long terms are cut so messages stay readable. */
    static String quote(String term) {
        String shown = term.length() > MAX_QUOTED ? term.substring(0, MAX_QUOTED) + "..." : term;
        return "'" + shown + "'";
    }
}
