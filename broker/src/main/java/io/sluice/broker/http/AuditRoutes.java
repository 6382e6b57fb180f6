package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditCheckpoints;
import io.sluice.broker.audit.AuditEntry;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.audit.AuditExportFormat;
import io.sluice.broker.audit.AuditExportHeaders;
import io.sluice.broker.audit.AuditExportWriter;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.audit.AuditQuery;
import io.sluice.broker.audit.DatasetLabels;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.logging.MdcScope;
import io.sluice.broker.stream.BlockingResponseWriter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log's HTTP face: queries and exports for compliance officers (data owners see their
 * own datasets' records), and the verification material for anyone: signed checkpoints, the
 * public key, RFC 9162 inclusion and consistency proofs, and the exact leaf bytes.
 */
final class AuditRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(AuditRoutes.class);
    private static final int EXPORT_CHUNK_BYTES = 256 * 1024;

    private final AuditLog auditLog;
    private final AuditCheckpoints checkpoints;
    private final ExecutorService exportThreads;
    private final DatasetLabels datasetLabels;

    AuditRoutes(AuditLog auditLog, AuditCheckpoints checkpoints, ExecutorService exportThreads, DatasetLabels datasetLabels) {
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
        this.checkpoints = requireNonNull(checkpoints, "checkpoints is null");
        this.exportThreads = requireNonNull(exportThreads, "exportThreads is null");
        this.datasetLabels = requireNonNull(datasetLabels, "datasetLabels is null");
    }

    /**
     * One page of records; {@code order=newest} pages from the newest back, {@code q} searches the
     * records' text and their datasets' names. The page names each dataset it mentions
     * ({@code datasets}: id to name and organisation), for people who read names, not ids.
     */
    void query(RoutingContext ctx) {
        AuditQuery filters = query(ctx, JsonBodies.intParam(ctx, "limit", 100));
        if (filters.limit() > AuditQuery.MAX_PAGE) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "limit must be at most " + AuditQuery.MAX_PAGE);
        }
        String order = Optional.ofNullable(ctx.request().getParam("order")).orElse("oldest");
        if (!order.equals("oldest") && !order.equals("newest")) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'order' must be oldest or newest, was '" + order + "'");
        }
        AuditQuery query;
        try {
            query = new AuditQuery(filters.dataset(), filters.organisation(), filters.subject(), filters.action(),
                    filters.purpose(), filters.from(), filters.to(), filters.ownerOrganisation(), filters.after(),
                    filters.limit(), param(ctx, "q"), order.equals("newest"));
        } catch (IllegalArgumentException e) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, e.getMessage());
        }
        Blocking.run(ctx, () -> {
            List<AuditEntry> entries = auditLog.query(query);
            JsonObject page = page(entries, query.limit());
            JsonObject names = new JsonObject();
            datasetLabels.of(page.getJsonArray("records").stream().map(r -> ((JsonObject) r).getValue("dataset"))
                    .filter(String.class::isInstance).map(String.class::cast).toList())
                    .forEach((id, label) -> names.put(id, new JsonObject().put("name", label.name())
                            .put("organisation", label.organisation())));
            return page.put("datasets", names);
        }, (c, json) -> Blocking.json(c, 200, json));
    }

    /**
     * Appends the {@code audit.exported} record, signs a checkpoint at exactly the tree size that
     * includes it ({@code Sluice-Tree-Size}), and streams the matching records below that size. An
     * unfiltered JSON-lines export of a compliance officer is therefore the whole log up to a signed
     * checkpoint, its own export record last; records appended while it streams belong to the next
     * export. A data owner's export holds their own datasets' records only, as {@link #query} does
     * (the same {@link AuditQuery} owner filter); its {@code audit.exported} record names the owner
     * (its actor, and its message says whose datasets) and, having no dataset, is not in it.
     *
     * <p>The checkpoint travels with the export ({@value AuditExportHeaders#CHECKPOINT}, the note in base64) with
     * the verifier key of this broker ({@value AuditExportHeaders#KEY}): several brokers of one store each sign
     * with their own key, and the store's list at this size may hold another broker's note.
     */
    void export(RoutingContext ctx) {
        Identity caller = AuthenticationHandler.identity(ctx);
        AuditExportFormat format = AuditExportFormat.parse(Optional.ofNullable(ctx.request().getParam("format")).orElse("jsonl"));
        AuditQuery query = query(ctx, Integer.MAX_VALUE);
        String onlyOwn = query.ownerOrganisation().map(owner -> "; the datasets of " + owner + " only").orElse("");
        AuditEvent exported = AuditEvent.of(AuditAction.AUDIT_EXPORTED, caller.actor())
                .with("format", format.name().toLowerCase(java.util.Locale.ROOT))
                .with("requestId", RequestIds.of(ctx))
                .with("message", "filters " + ctx.request().query() + onlyOwn);
        Blocking.run(ctx, () -> checkpoints.signAt(auditLog.append(exported).index() + 1), (c, signed) -> {
            c.response().setStatusCode(200)
                    .putHeader("Content-Type", format.contentType())
                    .putHeader("Content-Disposition", "attachment; filename=\"sluice-audit." + format.extension() + "\"")
                    .putHeader(AuditExportHeaders.TREE_SIZE, Long.toString(signed.size()))
                    .putHeader(AuditExportHeaders.CHECKPOINT, Base64.getEncoder().encodeToString(signed.note().getBytes(StandardCharsets.UTF_8)))
                    .putHeader(AuditExportHeaders.KEY, checkpoints.verifierKey())
                    .putHeader(AuditExportHeaders.SCOPE,
                            query.wholeLog() ? AuditExportHeaders.WHOLE_LOG : AuditExportHeaders.SUBSET);
            BlockingResponseWriter out = new BlockingResponseWriter(c.response(), c.vertx().getOrCreateContext(),
                    4 * EXPORT_CHUNK_BYTES);
            Map<String, String> logFields = LogContext.fields(c);
            try {
                exportThreads.execute(() -> {
                    try (MdcScope scope = MdcScope.of(logFields)) {
                        writeExport(out, format.writer(new AuditExportFormat.Export(signed.size(),
                                checkpoints.origin(), signed.signedAt())), query, signed.size());
                    }
                });
            } catch (RejectedExecutionException e) {
                c.response().reset();
            }
        });
    }

    /** The newest checkpoint, signed now if the log grew since the last one, so it covers every record so far. */
    void checkpoint(RoutingContext ctx) {
        Blocking.run(ctx, checkpoints::signIfGrown, (c, signed) -> c.response()
                .putHeader("Content-Type", "text/plain; charset=utf-8")
                .putHeader("Sluice-Tree-Size", Long.toString(signed.size()))
                .end(signed.note()));
    }

    void checkpointList(RoutingContext ctx) {
        long after = JsonBodies.longParam(ctx, "after", -1);
        int limit = JsonBodies.intParam(ctx, "limit", 100);
        Blocking.run(ctx, () -> {
            JsonArray list = new JsonArray();
            checkpoints.list(after, limit).forEach(s -> list.add(new JsonObject()
                    .put("size", s.size()).put("rootHash", s.rootHex()).put("note", s.note())));
            return new JsonObject().put("checkpoints", list);
        }, (c, json) -> Blocking.json(c, 200, json));
    }

    void publicKey(RoutingContext ctx) {
        ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end(checkpoints.verifierKey() + "\n");
    }

    void inclusionProof(RoutingContext ctx) {
        long size = JsonBodies.longParam(ctx, "size", auditLog.size());
        long index = JsonBodies.longParam(ctx, "index", -1);
        requireSize(size);
        if (index < 0 || index >= size) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                    "index must be in 0.." + (size - 1) + " for a tree of size " + size + ", was " + index);
        }
        List<byte[]> proof = auditLog.tree().inclusionProof(index, size);
        Blocking.json(ctx, 200, new JsonObject()
                .put("index", index)
                .put("size", size)
                .put("leafHash", HexFormat.of().formatHex(auditLog.tree().leafHash(index)))
                .put("hashes", base64(proof)));
    }

    void consistencyProof(RoutingContext ctx) {
        long from = JsonBodies.longParam(ctx, "from", -1);
        long to = JsonBodies.longParam(ctx, "to", auditLog.size());
        requireSize(to);
        if (from < 0 || from > to) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "from must be in 0.." + to + ", was " + from);
        }
        Blocking.json(ctx, 200, new JsonObject().put("from", from).put("to", to)
                .put("hashes", base64(auditLog.tree().consistencyProof(from, to))));
    }

    void entries(RoutingContext ctx) {
        long start = JsonBodies.longParam(ctx, "start", 0);
        long end = JsonBodies.longParam(ctx, "end", start + 100);
        if (start < 0 || end < start || end - start > AuditQuery.MAX_PAGE) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                    "need 0 <= start <= end and at most " + AuditQuery.MAX_PAGE + " entries, was start=" + start + " end=" + end);
        }
        Blocking.run(ctx, () -> {
            // Another broker on the same database may have appended since this one last did.
            auditLog.refresh();
            JsonArray entries = new JsonArray();
            for (AuditEntry entry : auditLog.entries(start, end)) {
                entries.add(new JsonObject().put("index", entry.index())
                        .put("leaf", Base64.getEncoder().encodeToString(entry.leafBytes())));
            }
            return new JsonObject().put("entries", entries).put("treeSize", auditLog.size());
        }, (c, json) -> Blocking.json(c, 200, json));
    }

    /** Writes the records matching {@code query} with an index below {@code treeSize}. */
    private void writeExport(BlockingResponseWriter out, AuditExportWriter writer, AuditQuery query, long treeSize) {
        StringBuilder chunk = new StringBuilder(EXPORT_CHUNK_BYTES + 4096);
        try {
            write(out, chunk.append(writer.header()));
            auditLog.stream(query, entry -> {
                if (entry.index() >= treeSize) {
                    return;
                }
                chunk.append(writer.record(entry));
                if (chunk.length() >= EXPORT_CHUNK_BYTES) {
                    write(out, chunk);
                }
            });
            write(out, chunk.append(writer.footer()));
            out.end();
        } catch (BlockingResponseWriter.ClientGoneException e) {
            LOG.info("audit export stopped: the client disconnected");
        } catch (RuntimeException e) {
            LOG.warn("audit export failed", e);
            out.reset();
        }
    }

    private static void write(BlockingResponseWriter out, StringBuilder chunk) {
        try {
            out.write(Buffer.buffer(chunk.toString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BlockingResponseWriter.ClientGoneException();
        }
        chunk.setLength(0);
    }

    private void requireSize(long size) {
        if (size < 1 || size > auditLog.size()) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                    "size must be in 1.." + auditLog.size() + " (the current tree size), was " + size);
        }
    }

    private static AuditQuery query(RoutingContext ctx, int limit) {
        Identity caller = AuthenticationHandler.identity(ctx);
        Optional<String> owner = caller.hasRole(Identity.COMPLIANCE_OFFICER)
                ? Optional.empty() : Optional.of(caller.organisation());
        try {
            return new AuditQuery(param(ctx, "dataset"), param(ctx, "organisation"), param(ctx, "subject"),
                    param(ctx, "action"), param(ctx, "purpose"), time(ctx, "from"), time(ctx, "to"), owner,
                    JsonBodies.longParam(ctx, "after", -1), limit);
        } catch (IllegalArgumentException e) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, e.getMessage());
        }
    }

    private static JsonObject page(List<AuditEntry> entries, int limit) {
        JsonArray records = new JsonArray();
        for (AuditEntry entry : entries) {
            records.add(new JsonObject(entry.recordJson()).put("leafHash", entry.leafHash()));
        }
        JsonObject page = new JsonObject().put("records", records);
        if (entries.size() == limit) {
            page.put("next", entries.getLast().index());
        }
        return page;
    }

    private static JsonArray base64(List<byte[]> hashes) {
        JsonArray array = new JsonArray();
        hashes.forEach(h -> array.add(Base64.getEncoder().encodeToString(h)));
        return array;
    }

    private static Optional<String> param(RoutingContext ctx, String name) {
        String value = ctx.request().getParam(name);
        return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
    }

    private static Optional<Instant> time(RoutingContext ctx, String name) {
        try {
            return param(ctx, name).map(Instant::parse);
        } catch (DateTimeParseException e) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                    "'" + name + "' must be an RFC 3339 UTC time such as 2026-11-26T10:00:00Z");
        }
    }
}
