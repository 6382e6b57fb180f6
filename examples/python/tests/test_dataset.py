"""sluice.Client and sluice.GrantDataset against a real broker (see broker_fixture)."""
import os
import unittest
from unittest import mock

import pyarrow as pa
import torch
from torch.utils.data import DataLoader

import sluice
from broker_fixture import URL, CuttingProxy, call, dev_token, patients, register

ROWS = 30_000
# Row groups of 1,000 rows: 30 units. Rows 5,000..7,999 are filtered out, so three batches hold no rows.
FILTER = "patient_id < 5000 OR patient_id >= 8000"
APPROVED = set(range(0, 5_000)) | set(range(8_000, ROWS))


def setUpModule():
    global OWNER, LAB_TOKEN, LAB, DATASET, GRANT
    OWNER = dev_token("hospital-a", "data-owner", "dr-weber")
    LAB_TOKEN = dev_token("ai-lab", "data-consumer", "trainer-7")
    LAB = sluice.connect(URL, token=LAB_TOKEN)
    DATASET = register(OWNER, patients(ROWS), 1_000, row_filter=FILTER)
    GRANT = LAB.grant(DATASET, "medical-research")["id"]


def ids_of(items):
    return [int(i) for item in items for i in item["patient_id"]]


class ClientTest(unittest.TestCase):

    def test_catalog_lists_the_dataset_with_the_columns_its_policy_lets_leave(self):
        entry = next(d for d in LAB.catalog() if d["id"] == DATASET)
        self.assertEqual(ROWS, entry["rows"])
        self.assertEqual(["patient_id", "age", "bmi", "diagnosis"], entry["offer"]["columns"])
        self.assertEqual(entry["name"], LAB.dataset(DATASET)["name"])

    def test_catalog_follows_the_brokers_pages_to_the_end(self):
        other = register(OWNER, patients(10), 10)
        paged = [d["id"] for d in LAB.catalog(page_size=1)]
        self.assertEqual(len(paged), len(set(paged)))
        self.assertTrue({DATASET, other} <= set(paged))
        self.assertEqual(sorted(paged), sorted(d["id"] for d in LAB.catalog()))
        self.assertEqual([other], [d["id"] for d in LAB.catalog(q=LAB.dataset(other)["name"])])

    def test_grant_names_the_columns_that_will_come(self):
        grant = LAB.grant(DATASET, "medical-research", columns=["patient_id", "bmi"], project="py-tests")
        self.assertEqual(["patient_id", "bmi"], grant["columns"])
        self.assertEqual("py-tests", grant["project"])

    def test_a_refused_grant_raises_with_the_policys_reason(self):
        with self.assertRaises(sluice.SluiceError) as refused:
            LAB.grant(DATASET, "marketing")
        error = refused.exception
        self.assertEqual(403, error.status)
        self.assertEqual("forbidden", error.error)
        self.assertEqual(["PURPOSE_NOT_PERMITTED"], error.reason_codes)
        self.assertTrue(error.request_id.startswith("rq-"))
        self.assertIn("purpose 'marketing' is not one of [medical-research]", str(error))

    def test_an_unknown_grant_is_a_404_not_a_stream(self):
        with self.assertRaises(sluice.SluiceError) as missing:
            LAB.stream("gr-nope")
        self.assertEqual(404, missing.exception.status)
        self.assertNotIsInstance(missing.exception, sluice.StreamFailed)

    def test_a_stream_is_checked_complete_with_the_broker(self):
        with LAB.stream(GRANT, shard=1, shards=3, epoch=0, seed=5) as stream:
            batches = list(stream)
        self.assertTrue(stream.completed)
        self.assertEqual("units", stream.scheme)
        status = LAB.stream_status(stream.stream_id)
        self.assertEqual("completed", status["status"])
        self.assertEqual(status["bytes"], stream.bytes)
        self.assertEqual(status["batches"], len(batches))
        self.assertEqual(status["batches"], stream.position)


class GrantDatasetTest(unittest.TestCase):

    def test_one_shard_yields_every_approved_row_once(self):
        ids = ids_of(sluice.GrantDataset(LAB, GRANT, rank=0, world_size=1))
        self.assertEqual(len(APPROVED), len(ids))
        self.assertEqual(APPROVED, set(ids))

    def test_three_ranks_read_disjoint_shards_that_cover_every_row_once(self):
        seen = []
        for rank in range(3):
            part = ids_of(sluice.GrantDataset(LAB, GRANT, rank=rank, world_size=3, seed=11, epoch=2))
            self.assertTrue(part, f"rank {rank} got no rows")
            seen.extend(part)
        self.assertEqual(len(APPROVED), len(seen))
        self.assertEqual(APPROVED, set(seen))

    def test_seeded_epochs_are_reproducible_and_differ_from_each_other(self):
        def order(epoch, rank):
            data = sluice.GrantDataset(LAB, GRANT, rank=rank, world_size=2, seed=42)
            data.set_epoch(epoch)
            return ids_of(data)

        self.assertEqual(order(1, 0), order(1, 0))
        self.assertNotEqual(order(1, 0), order(2, 0))
        for epoch in (1, 2):
            both = order(epoch, 0) + order(epoch, 1)
            self.assertEqual(len(APPROVED), len(both))
            self.assertEqual(APPROVED, set(both))

    def test_resume_from_a_checkpoint_token_yields_exactly_the_remaining_batches(self):
        whole = list(sluice.GrantDataset(LAB, GRANT, rank=1, world_size=2, seed=3, epoch=4))
        first = sluice.GrantDataset(LAB, GRANT, rank=1, world_size=2, seed=3, epoch=4)
        taken = []
        for item in first:
            taken.append(item)
            if len(taken) == 5:
                break
        token = first.checkpoint().token()
        self.assertRegex(token, r"^v1\.e4\.s1of2\.seed3\.p\d+$")
        rest = list(sluice.GrantDataset(LAB, GRANT, rank=1, world_size=2, seed=3, resume=token))
        self.assertEqual(ids_of(whole), ids_of(taken) + ids_of(rest))
        self.assertEqual(len(whole), len(taken) + len(rest))

    def test_resume_inside_a_batch_cut_by_batch_rows_continues_at_the_next_row(self):
        def dataset(**kw):
            return sluice.GrantDataset(LAB, GRANT, columns=["patient_id"], batch_rows=400, seed=9, **kw)

        whole = ids_of(dataset())
        first = dataset()
        taken = []
        for item in first:
            taken.append(item)
            if len(taken) == 4:  # 400 + 400 + 200 rows of a 1,000-row batch, then 400 of the next
                break
        state = first.state_dict()
        self.assertRegex(state["checkpoint"], r"^v1\.e0\.s0of1\.seed9\.p\d+\.r400$")
        resumed = dataset()
        resumed.load_state_dict(state)
        self.assertEqual(whole, ids_of(taken) + ids_of(resumed))
        self.assertTrue(all(len(item["patient_id"]) <= 400 for item in taken))

    def test_a_checkpoint_of_another_shard_is_refused(self):
        data = sluice.GrantDataset(LAB, GRANT, rank=0, world_size=2, resume="v1.e0.s1of2.noseed.p3")
        with self.assertRaisesRegex(ValueError, "is for shard 1 of 2, but this process reads shard 0 of 2"):
            next(iter(data))

    def test_two_dataloader_workers_read_their_own_shards_and_every_row_once(self):
        data = sluice.GrantDataset(LAB, GRANT, columns=["patient_id"], seed=1)
        loader = DataLoader(data, batch_size=None, num_workers=2)
        ids = ids_of(loader)
        self.assertEqual(len(APPROVED), len(ids))
        self.assertEqual(APPROVED, set(ids))

    def test_features_and_label_come_as_a_float_matrix_and_a_label_vector(self):
        item = next(iter(sluice.GrantDataset(LAB, GRANT, features=["age", "bmi"], label="diagnosis")))
        rows = item["label"].shape[0]
        self.assertEqual((rows, 2), tuple(item["features"].shape))
        self.assertEqual(torch.float32, item["features"].dtype)
        self.assertEqual(torch.int32, item["label"].dtype)
        # bmi is null for every 7th patient: NaN, never a made-up number.
        self.assertTrue(torch.isnan(item["features"][:, 1]).any())

    def test_a_transform_gets_the_record_batch(self):
        data = sluice.GrantDataset(LAB, GRANT, transform=lambda batch: batch.num_rows)
        self.assertEqual(len(APPROVED), sum(data))

    def test_tensors_are_pinned_exactly_when_cuda_is_there(self):
        item = next(iter(sluice.GrantDataset(LAB, GRANT)))
        self.assertEqual(torch.cuda.is_available(), item["age"].is_pinned())
        self.assertFalse(next(iter(sluice.GrantDataset(LAB, GRANT, pin_memory=False)))["age"].is_pinned())

    def test_a_dropped_connection_resumes_at_the_exact_position(self):
        proxy = CuttingProxy(cut_after=150_000)
        try:
            via_proxy = sluice.connect(proxy.url, token=LAB_TOKEN)
            ids = ids_of(sluice.GrantDataset(via_proxy, GRANT, seed=2, backoff_seconds=0.05))
        finally:
            proxy.close()
        self.assertEqual(1, proxy.cuts)
        self.assertEqual(2, proxy.streams)
        self.assertEqual(ids_of(sluice.GrantDataset(LAB, GRANT, seed=2)), ids)

    def test_a_stream_cut_by_a_revoked_grant_raises_instead_of_ending_quietly(self):
        # Big enough (48 MB) that the broker is still sending when the grant is revoked.
        rows = 2_000_000
        table = pa.table({"patient_id": pa.array(range(rows), pa.int64()),
                          "bmi": pa.array([0.5] * rows, pa.float64()), "age": pa.array([1.0] * rows, pa.float64()),
                          "name": pa.array([""] * rows)})
        dataset = register(OWNER, table, 50_000)
        grant = LAB.grant(dataset, "medical-research")["id"]
        data = sluice.GrantDataset(LAB, grant, columns=["patient_id"], backoff_seconds=0.05)
        read = 0
        with self.assertRaises(sluice.StreamFailed) as cut:
            for item in data:
                read += len(item["patient_id"])
                if read == 50_000:
                    revoked = call("PUT", f"/v1/datasets/{dataset}/policy", {
                        "@type": "Set", "permission": [{"action": "use", "constraint": [
                            {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["marketing"]}]}]}, OWNER)
                    self.assertEqual([grant], revoked["revokedGrants"])
        self.assertLess(read, rows)
        self.assertEqual("revoked", cut.exception.failure)
        self.assertEqual("aborted", cut.exception.stream_status)
        self.assertFalse(cut.exception.retryable)
        self.assertEqual(read // 50_000, cut.exception.position)


class OfflineTest(unittest.TestCase):
    """The parts that need no broker."""

    def test_checkpoint_tokens_match_the_java_loaders(self):
        at = sluice.Checkpoint.parse("v1.e3.s1of4.seed42.p17")
        self.assertEqual((3, 1, 4, 42, 17, 0), (at.epoch, at.shard, at.shards, at.seed, at.position, at.rows))
        self.assertEqual("v1.e3.s1of4.seed42.p17", at.token())
        self.assertEqual("v1.e0.s0of1.noseed.p2.r9", sluice.Checkpoint(0, 0, 1, None, 2, 9).token())
        with self.assertRaisesRegex(ValueError, "shard must be in \\[0, 4\\), was 4"):
            sluice.Checkpoint.parse("v1.e3.s4of4.seed42.p17")

    def test_rank_and_world_size_come_from_the_environment_without_torch_distributed(self):
        with mock.patch.dict(os.environ, {"RANK": "2", "WORLD_SIZE": "4"}):
            data = sluice.GrantDataset(LAB, "gr-x")
        self.assertEqual((2, 4), data.shard())

    def test_columns_become_tensors_sharing_arrows_memory_when_they_can(self):
        ints = pa.array([1, 2, 3], pa.int64())
        tensor = sluice.column_tensor("n", ints)
        self.assertEqual(ints.buffers()[1].address, tensor.data_ptr())
        floats = sluice.column_tensor("x", pa.array([1.5, None], pa.float32()))
        self.assertTrue(torch.isnan(floats[1]))
        self.assertEqual([True, False], sluice.column_tensor("b", pa.array([True, False])).tolist())
        days = sluice.column_tensor("d", pa.array([0, 365], pa.date32()))
        self.assertEqual([0, 365], days.tolist())

    def test_nulls_without_nan_and_strings_are_refused_naming_the_column(self):
        with self.assertRaisesRegex(ValueError, "column 'age' has 1 nulls"):
            sluice.column_tensor("age", pa.array([1, None], pa.int32()))
        with self.assertRaisesRegex(TypeError, "column 'name' is string, which has no tensor form"):
            sluice.column_tensor("name", pa.array(["a"]))

    def test_to_device_moves_nested_tensors(self):
        moved = sluice.to_device({"x": torch.ones(2), "y": [torch.zeros(1)], "n": 3}, "cpu")
        self.assertEqual(3, moved["n"])
        self.assertEqual([0.0], moved["y"][0].tolist())


if __name__ == "__main__":
    unittest.main()
