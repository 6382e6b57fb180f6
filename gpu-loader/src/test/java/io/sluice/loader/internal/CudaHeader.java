package io.sluice.loader.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code cuda.h} declares, read the way a C compiler on 64-bit Linux reads it without any
 * special macros: the conditional blocks for the driver's own build ({@code __CUDA_API_VERSION_INTERNAL})
 * and for per-thread default streams are skipped, so the legacy declarations at the end of the
 * header and the {@code _ptsz} names do not count. For each function: the export its name maps to
 * ({@code #define cuMemAlloc cuMemAlloc_v2}) and its parameters as value kinds
 * ({@code int}, {@code long}, {@code float}, {@code pointer}).
 */
final class CudaHeader {

    /** One declared function. */
    record Declaration(String apiName, String symbol, String returns, List<String> parameters) {
        /** As the checked-in table writes it: {@code apiName symbol returns(p1,p2)}. */
        String line() {
            return apiName + " " + symbol + " " + returns + "(" + String.join(",", parameters) + ")";
        }
    }

    private static final Set<String> PREDEFINED = Set.of("__LP64__", "__GNUC__", "__linux__", "__x86_64__");
    private static final Pattern DEFINE = Pattern.compile("^\\s*#\\s*define\\s+(cu\\w+)\\s+(?:__CUDA_API_PT(?:SZ|DS)\\((\\w+)\\)|(\\w+))\\s*$");
    private static final Pattern DECLARATION = Pattern.compile("CUresult\\s+CUDAAPI\\s+(cu\\w+)\\s*\\(([^)]*)\\)\\s*;");
    private static final Pattern TYPEDEF = Pattern.compile("typedef\\s+([^;{}]*?)\\s*(\\*?)\\s*(\\w+)\\s*;");
    private static final Pattern ENUM = Pattern.compile("typedef\\s+enum\\s+\\w*\\s*\\{([^}]*)\\}\\s*(\\w+)\\s*;");

    private final Path path;
    private final Map<String, String> defines = new HashMap<>();
    private final Map<String, String> typedefs = new HashMap<>();
    private final Set<String> enums = new HashSet<>();
    private final Map<String, Integer> errorValues = new LinkedHashMap<>();
    private final Map<String, String> declarations = new LinkedHashMap<>(); // name -> parameter list text

    private CudaHeader(Path path) {
        this.path = path;
    }

    /** The installed {@code cuda.h}, if any: under $CUDA_HOME, /usr/local/cuda*, or /usr/include. */
    static Optional<Path> find() {
        List<Path> candidates = new ArrayList<>();
        for (String variable : List.of("CUDA_HOME", "CUDA_PATH")) {
            String home = System.getenv(variable);
            if (home != null) {
                candidates.add(Path.of(home, "include", "cuda.h"));
            }
        }
        candidates.add(Path.of("/usr/local/cuda/include/cuda.h"));
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/usr/local"), "cuda-*")) {
            dirs.forEach(dir -> candidates.add(dir.resolve("include/cuda.h")));
        } catch (IOException e) {
            // no /usr/local
        }
        candidates.add(Path.of("/usr/include/cuda.h"));
        return candidates.stream().filter(Files::isRegularFile).findFirst();
    }

    static CudaHeader parse(Path path) throws IOException {
        CudaHeader header = new CudaHeader(path);
        header.read(Files.readAllLines(path));
        return header;
    }

    Path path() {
        return path;
    }

    /** The value of {@code CUDA_VERSION}, e.g. 13000. */
    int cudaVersion() {
        return Integer.parseInt(defines.getOrDefault("CUDA_VERSION", "0"));
    }

    /** The {@code CUresult} values by name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY -> 2}. */
    Map<String, Integer> errorValues() {
        return errorValues;
    }

    Optional<Declaration> declaration(String apiName) {
        String parameters = declarations.get(apiName);
        if (parameters == null) {
            return Optional.empty();
        }
        String symbol = apiName;
        for (int i = 0; i < 4 && defines.containsKey(symbol) && defines.get(symbol).startsWith("cu"); i++) {
            symbol = defines.get(symbol);
        }
        List<String> kinds = new ArrayList<>();
        if (!parameters.isBlank() && !parameters.strip().equals("void")) {
            for (String parameter : parameters.split(",")) {
                kinds.add(kind(parameter.strip()));
            }
        }
        return Optional.of(new Declaration(apiName, symbol, "int", kinds));
    }

    private void read(List<String> lines) {
        Deque<boolean[]> conditions = new ArrayDeque<>(); // {active, taken}
        StringBuilder active = new StringBuilder();
        Set<String> defined = new HashSet<>(PREDEFINED);
        for (String raw : lines) {
            String line = raw.strip();
            boolean parentActive = conditions.stream().allMatch(c -> c[0]);
            if (line.startsWith("#")) {
                String directive = line.substring(1).strip();
                if (directive.startsWith("ifdef ") || directive.startsWith("ifndef ") || directive.startsWith("if ")
                        || directive.startsWith("if(")) {
                    boolean value;
                    if (directive.startsWith("ifdef ")) {
                        value = defined.contains(directive.substring(6).strip());
                    } else if (directive.startsWith("ifndef ")) {
                        value = !defined.contains(directive.substring(7).strip());
                    } else {
                        value = new Condition(directive.substring(2), defined).evaluate();
                    }
                    conditions.push(new boolean[] {parentActive && value, value});
                    continue;
                }
                if (directive.startsWith("elif")) {
                    boolean[] top = conditions.pop();
                    boolean outer = conditions.stream().allMatch(c -> c[0]);
                    boolean value = !top[1] && new Condition(directive.substring(4), defined).evaluate();
                    conditions.push(new boolean[] {outer && value, top[1] || value});
                    continue;
                }
                if (directive.startsWith("else")) {
                    boolean[] top = conditions.pop();
                    boolean outer = conditions.stream().allMatch(c -> c[0]);
                    conditions.push(new boolean[] {outer && !top[1], true});
                    continue;
                }
                if (directive.startsWith("endif")) {
                    conditions.pop();
                    continue;
                }
                if (parentActive && directive.startsWith("define")) {
                    String[] parts = directive.substring(6).strip().split("\\s+", 2);
                    String name = parts[0].contains("(") ? parts[0].substring(0, parts[0].indexOf('(')) : parts[0];
                    defined.add(name);
                    if (parts.length > 1 && name.equals("CUDA_VERSION")) {
                        defines.put(name, parts[1].strip());
                    }
                    Matcher define = DEFINE.matcher(line);
                    if (define.matches() && !defines.containsKey(define.group(1))) {
                        defines.put(define.group(1), define.group(2) != null ? define.group(2) : define.group(3));
                    }
                }
                continue;
            }
            if (parentActive) {
                active.append(raw.replaceAll("/\\*.*?\\*/", " ").replaceAll("//.*", "")).append('\n');
            }
        }
        String text = active.toString().replaceAll("(?s)/\\*.*?\\*/", " ");
        Matcher declaration = DECLARATION.matcher(text);
        while (declaration.find()) {
            declarations.putIfAbsent(declaration.group(1), declaration.group(2).replaceAll("\\s+", " "));
        }
        Matcher enumeration = ENUM.matcher(text);
        while (enumeration.find()) {
            enums.add(enumeration.group(2));
            if (enumeration.group(2).equals("CUresult")) {
                Matcher value = Pattern.compile("(CUDA_\\w+)\\s*=\\s*(\\d+)").matcher(enumeration.group(1));
                while (value.find()) {
                    errorValues.put(value.group(1), Integer.parseInt(value.group(2)));
                }
            }
        }
        Matcher typedef = TYPEDEF.matcher(text.replaceAll("(?s)typedef\\s+enum\\s+\\w*\\s*\\{[^}]*\\}", "typedef enum"));
        while (typedef.find()) {
            typedefs.putIfAbsent(typedef.group(3), typedef.group(1).strip() + typedef.group(2));
        }
    }

    /** The value kind of one parameter declaration, e.g. {@code const char **pStr} -> pointer. */
    private String kind(String parameter) {
        if (parameter.contains("*")) {
            return "pointer";
        }
        String[] tokens = parameter.replace("const ", "").strip().split("\\s+");
        String type = String.join(" ", java.util.Arrays.copyOf(tokens, tokens.length - 1));
        return kindOfType(type, 0);
    }

    private String kindOfType(String type, int depth) {
        String t = type.replace("const ", "").strip();
        if (t.endsWith("*") || t.startsWith("struct ") && t.contains("*")) {
            return "pointer";
        }
        switch (t) {
            case "int", "unsigned int", "unsigned", "int32_t", "uint32_t" -> {
                return "int";
            }
            case "long long", "unsigned long long", "size_t", "int64_t", "uint64_t", "unsigned long", "long" -> {
                return "long";
            }
            case "float" -> {
                return "float";
            }
            default -> {
                if (enums.contains(t)) {
                    return "int";
                }
                String resolved = typedefs.get(t);
                if (resolved == null || depth > 8) {
                    throw new IllegalStateException("cannot resolve C type '" + t + "' in " + path);
                }
                if (resolved.startsWith("enum")) {
                    return "int";
                }
                return kindOfType(resolved, depth + 1);
            }
        }
    }

    /** A preprocessor condition: defined(X), !, &&, ||, parentheses; anything else counts as true. */
    private static final class Condition {
        private final String text;
        private final Set<String> defined;
        private int at;

        Condition(String text, Set<String> defined) {
            this.text = text.replaceAll("/\\*.*?\\*/", " ").replaceAll("//.*", "").strip();
            this.defined = defined;
        }

        boolean evaluate() {
            try {
                boolean value = or();
                skip();
                return at >= text.length() || value; // trailing comparisons and the like: unknown, so true
            } catch (RuntimeException e) {
                return true;
            }
        }

        private boolean or() {
            boolean value = and();
            while (peek("||")) {
                at += 2;
                value = and() | value;
            }
            return value;
        }

        private boolean and() {
            boolean value = unary();
            while (peek("&&")) {
                at += 2;
                value = unary() & value;
            }
            return value;
        }

        private boolean unary() {
            skip();
            if (peek("!")) {
                at++;
                return !unary();
            }
            if (peek("(")) {
                at++;
                boolean value = or();
                skip();
                at++; // ')'
                return value;
            }
            if (peek("defined")) {
                at += "defined".length();
                skip();
                boolean parenthesised = peek("(");
                if (parenthesised) {
                    at++;
                }
                String name = identifier();
                if (parenthesised) {
                    skip();
                    at++;
                }
                return defined.contains(name);
            }
            String token = identifier();
            skipComparison();
            return !token.equals("0");
        }

        private void skipComparison() {
            skip();
            for (String op : List.of(">=", "<=", "==", "!=", ">", "<")) {
                if (peek(op)) {
                    at += op.length();
                    identifier();
                    return;
                }
            }
        }

        private String identifier() {
            skip();
            int start = at;
            while (at < text.length() && (Character.isLetterOrDigit(text.charAt(at)) || text.charAt(at) == '_')) {
                at++;
            }
            return text.substring(start, at);
        }

        private boolean peek(String token) {
            skip();
            return text.startsWith(token, at);
        }

        private void skip() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }
    }
}
