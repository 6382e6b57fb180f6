package io.sluice.policy.internal;

import static io.sluice.policy.PolicyErrorCode.CONFLICTING_DUTIES;
import static io.sluice.policy.PolicyErrorCode.INVALID_LITERAL;
import static io.sluice.policy.PolicyErrorCode.INVALID_RIGHT_OPERAND;
import static io.sluice.policy.PolicyErrorCode.MALFORMED_POLICY;
import static io.sluice.policy.PolicyErrorCode.UNKNOWN_ACTION;
import static io.sluice.policy.PolicyErrorCode.UNKNOWN_COLUMN;
import static io.sluice.policy.PolicyErrorCode.UNKNOWN_LEFT_OPERAND;
import static io.sluice.policy.PolicyErrorCode.UNKNOWN_OPERATOR;
import static io.sluice.policy.PolicyErrorCode.UNKNOWN_TERM;
import static io.sluice.policy.PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE;
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
import io.sluice.policy.FieldPath;
import io.sluice.policy.Generalisation;
import io.sluice.policy.LeftOperand;
import io.sluice.policy.LogicalOperator;
import io.sluice.policy.Operator;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyException;
import io.sluice.policy.PurposeHierarchy;
import io.sluice.policy.RightOperand;
import io.sluice.policy.Rule;
import io.sluice.policy.filter.Literal;
import io.sluice.policy.filter.RowFilters;
import io.sluice.policy.internal.filter.ColumnType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import org.apache.arrow.vector.types.pojo.ArrowType;
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
    private static final String DROP = "sluice:drop";
    private static final String PSEUDONYMISE = "sluice:pseudonymise";
    private static final String GENERALISE = "sluice:generalise";
    private static final String MASK = "sluice:mask";
    private static final String ROW_FILTER = "sluice:rowFilter";
    private static final List<String> DUTIES = List.of(DROP, PSEUDONYMISE, GENERALISE, MASK, ROW_FILTER);
    private static final int MAX_QUOTED = 80;
    /** The ODRL 2.2 context, as the W3C publishes it (both schemes name the same document). */
    private static final List<String> KNOWN_CONTEXT_URLS = List.of("http://www.w3.org/ns/odrl.jsonld",
            "https://www.w3.org/ns/odrl.jsonld");
    /** The Sluice profile's prefix, the only inline context: it defines {@code sluice:} and nothing else. */
    private static final JsonNode SLUICE_PREFIX = JSON.createObjectNode().put("sluice", "https://sluice.dev/ns/");
    private static final String KNOWN_CONTEXTS_SHOWN = "\"http://www.w3.org/ns/odrl.jsonld\" (or https)"
            + " and {\"sluice\": \"https://sluice.dev/ns/\"}";

    private final Schema schema;
    private final PurposeHierarchy purposes;

    private OdrlPolicyParser(Schema schema, PurposeHierarchy purposes) {
        this.schema = schema;
        this.purposes = purposes;
    }

    /** See {@link io.sluice.policy.Policies#parse(String, Schema, PurposeHierarchy)}. */
    public static Policy parse(String json, Schema schema, PurposeHierarchy purposes) {
        requireNonNull(json, "json is null");
        requireNonNull(schema, "schema is null");
        requireNonNull(purposes, "purposes is null");
        return new OdrlPolicyParser(schema, purposes).policy(json);
    }

    private Policy policy(String json) {
        JsonNode root = readTree(json);
        if (!root.isObject()) {
            throw new PolicyException(MALFORMED_POLICY, "policy must be a JSON object, was " + kind(root));
        }
        checkKeys(root, "", POLICY_KEYS, "a policy");
        JsonNode context = root.get("@context");
        if (context != null) {
            checkContext(context);
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
        return new Policy(json, uid, permissions, prohibitions, purposes);
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

    /**
     * Accepts only the contexts Sluice reads its terms by: the ODRL context URL and the Sluice prefix
     * object, alone or in an array. A JSON-LD processor would let any other context redefine
     * {@code use}, {@code purpose} or {@code sluice:drop}, so that the same text would mean one thing
     * to an owner's JSON-LD tools and another to the broker, which reads the terms as plain names.
     */
    private static void checkContext(JsonNode context) {
        if (context.isArray()) {
            for (int i = 0; i < context.size(); i++) {
                checkContextEntry(context.get(i), "@context[" + i + "]");
            }
        } else if (context.isTextual() || context.isObject()) {
            checkContextEntry(context, "@context");
        } else {
            throw malformed("@context", "must be a string, an object or an array of them", context);
        }
    }

    private static void checkContextEntry(JsonNode entry, String at) {
        if (entry.isTextual() && KNOWN_CONTEXT_URLS.contains(entry.textValue())) {
            return;
        }
        if (entry.isObject() && entry.equals(SLUICE_PREFIX)) {
            return;
        }
        if (!entry.isTextual() && !entry.isObject()) {
            throw malformed(at, "must be a string, an object or an array of them", entry);
        }
        throw new PolicyException(UNKNOWN_TERM, at + ": unknown context "
                + quote(entry.isTextual() ? entry.textValue() : entry.toString())
                + "; Sluice reads ODRL terms only under the contexts " + KNOWN_CONTEXTS_SHOWN
                + " (alone or in an array), and refuses others so that no context can redefine a term");
    }

    private Rule.Permission permission(JsonNode node, String at) {
        requireObject(node, at);
        checkKeys(node, at, PERMISSION_KEYS, "a permission");
        Action action = action(node, at, true);
        List<Constraint> constraints = constraints(node, at);
        List<Duty> duties = Optional.ofNullable(node.get("duty"))
                .map(duty -> array(duty, at + ".duty", this::duty))
                .orElse(List.of());
        checkConflicts(duties, at);
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
        for (LogicalOperator logical : LogicalOperator.values()) {
            if (node.has(logical.odrlName())) {
                return logical(node, at, logical);
            }
        }
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
        return new Constraint.Atomic(left, operator, rightOperand(right, left, operator, at + ".rightOperand"));
    }

    /** {@code {"and": [c1, c2, ...]}}; the key must be the constraint's only one. */
    private static Constraint logical(JsonNode node, String at, LogicalOperator operator) {
        String key = operator.odrlName();
        String where = at + "." + key;
        if (node.size() != 1) {
            for (Map.Entry<String, JsonNode> property : node.properties()) {
                if (!property.getKey().equals(key)) {
                    throw new PolicyException(UNKNOWN_TERM, path(at, property.getKey()) + ": unknown term "
                            + quote(property.getKey()) + "; a logical constraint takes only its operator '" + key
                            + "' with an array of constraints");
                }
            }
        }
        JsonNode operands = node.get(key);
        if (!operands.isArray() || operands.size() < 2) {
            throw malformed(where, "must be an array of at least two constraints", operands);
        }
        return new Constraint.Logical(operator, array(operands, where, OdrlPolicyParser::constraint));
    }

    private static PolicyException unknownOperator(LeftOperand left, String name, String at) {
        boolean known = Arrays.stream(Operator.values()).anyMatch(operator -> operator.odrlName().equals(name));
        String problem = known
                ? "operator " + quote(name) + " does not apply to " + left.odrlName()
                : "unknown operator " + quote(name);
        return new PolicyException(UNKNOWN_OPERATOR,
                at + ".operator: " + problem + "; " + left.odrlName() + " takes " + left.operatorNames());
    }

    private static RightOperand rightOperand(JsonNode node, LeftOperand left, Operator operator, String at) {
        return switch (left.kind()) {
            case TERMS -> switch (operator) {
                case EQ, NEQ -> new RightOperand.Term(term(node, at, operator));
                default -> {
                    if (!node.isArray() || node.isEmpty()) {
                        throw invalidRight(at, operator, "a non-empty array of strings", node);
                    }
                    List<String> values = new ArrayList<>();
                    for (int i = 0; i < node.size(); i++) {
                        values.add(term(node.get(i), at + "[" + i + "]", operator));
                    }
                    yield new RightOperand.Terms(values);
                }
            };
            case INSTANT -> {
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
            case DURATION -> {
                String expected = "an ISO-8601 duration in days, hours, minutes or seconds such as P30D or PT12H";
                if (!node.isTextual()) {
                    throw invalidRight(at, operator, expected, node);
                }
                try {
                    java.time.Duration duration = java.time.Duration.parse(node.textValue());
                    if (duration.isNegative()) {
                        throw new PolicyException(INVALID_RIGHT_OPERAND, at + ": " + quote(node.textValue())
                                + " is negative; elapsedTime takes " + expected);
                    }
                    yield new RightOperand.Duration(duration);
                } catch (DateTimeParseException e) {
                    throw new PolicyException(INVALID_RIGHT_OPERAND, at + ": " + quote(node.textValue())
                            + " is not " + expected);
                }
            }
            case COUNT -> {
                if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 0) {
                    throw invalidRight(at, operator, "a whole number >= 0", node);
                }
                yield new RightOperand.Count(node.longValue());
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
        List<String> keys = switch (action) {
            case DROP, PSEUDONYMISE -> List.of("action", "target");
            case GENERALISE -> List.of("action", "target", "to", "width", "prefix");
            case MASK -> List.of("action", "target", "with");
            case ROW_FILTER -> List.of("action", "expression");
            default -> throw new PolicyException(UNKNOWN_ACTION, at + ".action: unknown duty " + quote(action)
                    + "; Sluice takes " + String.join(", ", DUTIES));
        };
        checkKeys(node, at, keys, "a " + action + " duty");
        return switch (action) {
            case DROP -> {
                List<String> columns = targets(node, at);
                yield checkTargets(new Duty.Drop(columns), columns, node, at);
            }
            case PSEUDONYMISE -> {
                List<String> columns = targets(node, at);
                yield checkTargets(new Duty.Pseudonymise(columns), columns, node, at);
            }
            case GENERALISE -> generalise(node, at);
            case MASK -> mask(node, at);
            case ROW_FILTER -> {
                String expression = requiredText(node, at, "expression");
                try {
                    yield new Duty.RowFilter(expression, RowFilters.parse(expression, schema));
                } catch (PolicyException e) {
                    throw new PolicyException(e.errorCode(), at + ".expression: " + e.getMessage());
                }
            }
            default -> throw new IllegalStateException("unreachable: " + action);
        };
    }

    private Duty generalise(JsonNode node, String at) {
        List<String> columns = targets(node, at);
        List<String> given = List.of("to", "width", "prefix").stream().filter(node::has).toList();
        if (given.size() != 1) {
            throw new PolicyException(MALFORMED_POLICY, at + ": a " + GENERALISE + " duty takes exactly one of "
                    + "'to' (year, month), 'width' (a number) or 'prefix' (a length), was "
                    + (given.isEmpty() ? "none" : String.join(", ", given)));
        }
        String key = given.getFirst();
        JsonNode value = node.get(key);
        Generalisation how = switch (key) {
            case "to" -> {
                String unit = text(value, at + ".to");
                yield new Generalisation.Truncate(Arrays.stream(Generalisation.CalendarUnit.values())
                        .filter(candidate -> candidate.odrlName().equals(unit))
                        .findFirst()
                        .orElseThrow(() -> new PolicyException(UNKNOWN_TERM, at + ".to: unknown unit " + quote(unit)
                                + "; Sluice takes year, month")));
            }
            case "width" -> {
                if (!value.isNumber() || value.decimalValue().signum() <= 0) {
                    throw malformed(at + ".width", "must be a number > 0", value);
                }
                yield new Generalisation.Bucket(value.decimalValue());
            }
            default -> {
                if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 0) {
                    throw malformed(at + ".prefix", "must be a whole number >= 0", value);
                }
                yield new Generalisation.Prefix(value.intValue());
            }
        };
        Duty.Generalise duty = checkTargets(new Duty.Generalise(columns, how), columns, node, at);
        for (String column : columns) {
            FieldPath path = path(column);
            ArrowType type = path.valueField().getType();
            if (how instanceof Generalisation.Bucket bucket && ColumnType.of(type) == ColumnType.INTEGER
                    && bucket.width().scale() > 0) {
                throw new PolicyException(INVALID_LITERAL, at + ".width: " + ColumnType.describe(type) + " "
                        + DutyTargets.describe(path) + " needs a whole width, was " + bucket.width().toPlainString());
            }
        }
        return duty;
    }

    private Duty mask(JsonNode node, String at) {
        List<String> columns = targets(node, at);
        JsonNode with = node.get("with");
        if (with == null) {
            throw new PolicyException(MALFORMED_POLICY, at + ": missing 'with' (null, or a value of the column's type)");
        }
        if (with.isNull()) {
            return checkTargets(new Duty.Mask(columns, Optional.empty()), columns, node, at);
        }
        Literal literal = null;
        for (int i = 0; i < columns.size(); i++) {
            FieldPath path = path(columns.get(i));
            Literal forColumn = maskLiteral(with, path.valueField().getType(), DutyTargets.describe(path),
                    at + ".with", targetAt(node, at, i));
            if (literal != null && !literal.equals(forColumn)) {
                throw new PolicyException(INVALID_LITERAL, at + ".with: columns " + quote(columns.getFirst()) + " and "
                        + quote(columns.get(i)) + " take different constants; write one mask per column type");
            }
            literal = forColumn;
        }
        return checkTargets(new Duty.Mask(columns, Optional.of(literal)), columns, node, at);
    }

    /**
     * Refuses {@code duty} (a 400 naming the target) if it does not apply to one of its targets,
     * {@code columns} as written (repeats included, so that the position named is the written one).
     */
    private <D extends Duty> D checkTargets(D duty, List<String> columns, JsonNode node, String at) {
        for (int i = 0; i < columns.size(); i++) {
            String where = targetAt(node, at, i);
            DutyTargets.check(duty, path(columns.get(i))).ifPresent(refusal -> {
                throw new PolicyException(UNSUPPORTED_COLUMN_TYPE, where + ": " + refusal);
            });
        }
        return duty;
    }

    private static Literal maskLiteral(JsonNode value, ArrowType type, String column, String at, String targetAt) {
        String typeName = ColumnType.describe(type);
        return switch (ColumnType.of(type)) {
            case INTEGER -> {
                ArrowType.Int integer = (ArrowType.Int) type;
                if (!value.isIntegralNumber() || !value.canConvertToLong()
                        || !fits(value.longValue(), integer.getBitWidth(), integer.getIsSigned())) {
                    throw invalidLiteral(at, typeName, column, "a whole number in its range", value);
                }
                yield new Literal.Int(value.longValue());
            }
            case FLOATING -> {
                if (!value.isNumber()) {
                    throw invalidLiteral(at, typeName, column, "a number", value);
                }
                yield new Literal.Decimal(value.decimalValue());
            }
            case STRING -> {
                if (!value.isTextual()) {
                    throw invalidLiteral(at, typeName, column, "a string", value);
                }
                yield new Literal.Text(value.textValue());
            }
            case BOOLEAN -> {
                if (!value.isBoolean()) {
                    throw invalidLiteral(at, typeName, column, "true or false", value);
                }
                yield new Literal.Bool(value.booleanValue());
            }
            case DATE_DAY, DATE_MILLI -> {
                try {
                    yield new Literal.Date(LocalDate.parse(value.isTextual() ? value.textValue() : ""));
                } catch (DateTimeParseException e) {
                    throw invalidLiteral(at, typeName, column, "a date such as \"2020-01-31\"", value);
                }
            }
            case TIMESTAMP -> {
                String text = value.isTextual() ? value.textValue() : "";
                try {
                    yield new Literal.Timestamp(OffsetDateTime.parse(text).toInstant());
                } catch (DateTimeParseException e) {
                    try {
                        yield new Literal.Timestamp(LocalDateTime.parse(text).toInstant(ZoneOffset.UTC));
                    } catch (DateTimeParseException e2) {
                        throw invalidLiteral(at, typeName, column, "a date-time such as \"2020-01-31T12:00:00Z\"",
                                value);
                    }
                }
            }
            case UNSUPPORTED -> throw new PolicyException(UNSUPPORTED_COLUMN_TYPE, targetAt + ": " + MASK
                    + " with a constant does not apply to " + typeName + " " + column + "; mask it with null");
        };
    }

    private static boolean fits(long value, int bits, boolean signed) {
        if (bits == 64) {
            return signed;
        }
        return signed
                ? value >= -(1L << (bits - 1)) && value < (1L << (bits - 1))
                : value >= 0 && value < (1L << bits);
    }

    private static PolicyException invalidLiteral(String at, String typeName, String column, String expected,
            JsonNode was) {
        return new PolicyException(INVALID_LITERAL, at + ": " + typeName + " " + column + " takes " + expected
                + ", was " + describe(was));
    }

    private static String targetAt(JsonNode duty, String at, int i) {
        return duty.get("target").isArray() ? at + ".target[" + i + "]" : at + ".target";
    }

    /** The duty's target: one column name or a non-empty array of them, each in the schema. */
    private List<String> targets(JsonNode node, String at) {
        JsonNode target = node.get("target");
        if (target == null) {
            throw new PolicyException(MALFORMED_POLICY, at + ": missing 'target'");
        }
        List<String> columns = new ArrayList<>();
        if (target.isTextual()) {
            columns.add(column(target, at + ".target"));
        } else if (target.isArray() && !target.isEmpty()) {
            for (int i = 0; i < target.size(); i++) {
                columns.add(column(target.get(i), at + ".target[" + i + "]"));
            }
        } else {
            throw malformed(at + ".target", "must be a column name or a non-empty array of column names", target);
        }
        return columns;
    }

    /** No column may be changed by two duties of one permission (several drops of it are fine). */
    private static void checkConflicts(List<Duty> duties, String at) {
        Map<String, Integer> claimedBy = new HashMap<>();
        for (int i = 0; i < duties.size(); i++) {
            Duty duty = duties.get(i);
            if (duty instanceof Duty.RowFilter) {
                continue;
            }
            for (String column : duty.columns()) {
                if (!(duty instanceof Duty.Drop)) {
                    checkNested(claimedBy, duties, i, column, at);
                }
                Integer earlier = claimedBy.putIfAbsent(column, i);
                if (earlier != null && !(duty instanceof Duty.Drop && duties.get(earlier) instanceof Duty.Drop)) {
                    throw new PolicyException(CONFLICTING_DUTIES, at + ".duty[" + i + "]: column " + quote(column)
                            + " is already changed by duty[" + earlier + "] (" + dutyName(duties.get(earlier))
                            + "); a column takes at most one of " + String.join(", ", DUTIES.subList(0, 4)));
                }
            }
        }
    }

    /** A transform of a path and another of a path inside it would each change the other's values. */
    private static void checkNested(Map<String, Integer> claimedBy, List<Duty> duties, int i, String column, String at) {
        for (Map.Entry<String, Integer> claimed : claimedBy.entrySet()) {
            Duty earlier = duties.get(claimed.getValue());
            String other = claimed.getKey();
            if (!(earlier instanceof Duty.Drop) && (column.startsWith(other + ".") || other.startsWith(column + "."))) {
                throw new PolicyException(CONFLICTING_DUTIES, at + ".duty[" + i + "]: field " + quote(column)
                        + " and field " + quote(other) + " of duty[" + claimed.getValue() + "] (" + dutyName(earlier)
                        + ") lie one inside the other; transform one of them, or each field inside");
            }
        }
    }

    private static String dutyName(Duty duty) {
        return switch (duty) {
            case Duty.Drop d -> DROP;
            case Duty.Pseudonymise p -> PSEUDONYMISE;
            case Duty.Generalise g -> GENERALISE;
            case Duty.Mask m -> MASK;
            case Duty.RowFilter r -> ROW_FILTER;
        };
    }

    private FieldPath path(String column) {
        return FieldPath.resolve(schema, column);
    }

    /** A target: a column name or a path into nested data ({@link FieldPath}), which must exist. */
    private String column(JsonNode node, String at) {
        if (!node.isTextual()) {
            throw malformed(at, "must be a column name or a field path", node);
        }
        String name = node.textValue();
        try {
            FieldPath.resolve(schema, name);
        } catch (PolicyException e) {
            throw new PolicyException(e.errorCode(), at + ": " + e.getMessage());
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
