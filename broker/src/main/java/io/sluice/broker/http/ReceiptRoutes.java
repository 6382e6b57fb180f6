package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.service.TrainingReceipts;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * Training receipts: {@code GET /v1/grants/{id}/receipt?consistencyTo=SIZE|latest} (the grant's
 * holder, subject and organisation; the owning data owner; compliance officers) and
 * {@code GET /v1/datasets/{id}/receipts?limit=&after=} (the owning data owner, compliance officers).
 * Who may read is the service's to check (a refusal is audited there); the router checks roles.
 */
final class ReceiptRoutes {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainingReceipts receipts;

    ReceiptRoutes(TrainingReceipts receipts) {
        this.receipts = requireNonNull(receipts, "receipts is null");
    }

    void grantReceipt(RoutingContext ctx) {
        Identity caller = AuthenticationHandler.identity(ctx);
        String id = ctx.pathParam("id");
        Optional<TrainingReceipts.Later> later = later(ctx.request().getParam("consistencyTo"));
        Blocking.run(ctx, () -> receipts.forGrant(caller, id, later, RequestIds.of(ctx)),
                (c, receipt) -> Blocking.json(c, 200, receipt.toJson()));
    }

    void datasetReceipts(RoutingContext ctx) {
        Identity caller = AuthenticationHandler.identity(ctx);
        String id = ctx.pathParam("id");
        int limit = JsonBodies.intParam(ctx, "limit", TrainingReceipts.DEFAULT_LIMIT);
        Optional<String> after = Optional.ofNullable(ctx.request().getParam("after")).filter(a -> !a.isEmpty());
        Blocking.run(ctx, () -> receipts.ofDataset(caller, id, after, limit, RequestIds.of(ctx)), (c, page) -> {
            ObjectNode json = JSON.createObjectNode().put("dataset", id);
            ArrayNode list = json.putArray("receipts");
            page.receipts().forEach(receipt -> list.add(receipt.toJson()));
            page.next().ifPresent(next -> json.put("next", next));
            Blocking.json(c, 200, json);
        });
    }

    /** {@code latest} or a tree size; absent or empty: no consistency proof. */
    private static Optional<TrainingReceipts.Later> later(String value) {
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        if (value.equals("latest")) {
            return Optional.of(TrainingReceipts.Later.newest());
        }
        try {
            long size = Long.parseLong(value);
            if (size >= 1) {
                return Optional.of(TrainingReceipts.Later.at(size));
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                "'consistencyTo' must be a tree size of a signed checkpoint (>= 1) or 'latest', was '" + value + "'");
    }
}
