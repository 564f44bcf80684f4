"""Scopedown throughput against the raw limit, on a generated CloudTrail log.

Writes N records (default 400,000) as gzipped ``{"Records": [...]}`` files shaped like
CloudTrail's S3 delivery (2,000 records a file), then times, in this one process:

* raw: ``gzip.decompress`` + ``orjson.loads`` of every file (the floor any reader pays);
* scopedown: ``Scanner.scan_files`` for one role (attribution, window, eventID dedup,
  mapping, resources), i.e. the whole core without the report, reading the files on
  every core (``rolecat.scopedown.reader``);
* the same on one worker (``ROLECAT_JOBS=1``), printed beside: how much of the ratio is
  the reader's own (delivery files parsed a slice of records at a time,
  ``rolecat.scopedown.logs.read_records``) rather than the second core's.

A quarter of the records belong to the role and every file holds some, so the needle
pre-filter that skips files without the role never fires; the record test (only the
records that name the role are parsed, ``logs._needled``) does.  The slowest input is a log
of the role's records alone (each one parsed and mapped): the script also times that,
on a quarter as many records, and prints its ratio beside (no target).
Both run with the cyclic garbage collector off, as ``rolecat`` runs.  Paired runs: run i
times the floor and then scopedown; the ratio printed is the median over the runs of
scopedown's records/second over the floor's (target >= 1.5, i.e. both cores used).

    python bench/scopedown_bench.py [--records N] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/services/ReportExporter"
PER_FILE = 2000

EVENTS = [
    ("s3.amazonaws.com", "GetObject"),
    ("s3.amazonaws.com", "PutObject"),
    ("s3.amazonaws.com", "ListObjects"),
    ("dynamodb.amazonaws.com", "Query"),
    ("kms.amazonaws.com", "Decrypt"),
    ("sts.amazonaws.com", "GetCallerIdentity"),
    ("lambda.amazonaws.com", "ListFunctions20150331"),
    ("logs.amazonaws.com", "PutLogEvents"),
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("monitoring.amazonaws.com", "PutMetricData"),
]


def _identity(rng: random.Random, mine: bool) -> dict[str, object]:
    if mine:
        role, name = ROLE_ARN, "ReportExporter"
    else:
        name = f"OtherRole{rng.randrange(50)}"
        role = f"arn:aws:iam::{ACCOUNT}:role/services/{name}"
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE{rng.randrange(10**6)}:session",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/session",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEEXAMPLE",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLE",
                "arn": role,
                "accountId": ACCOUNT,
                "userName": name,
            },
            "attributes": {"creationDate": "2026-10-01T00:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def _record(rng: random.Random, i: int, alone: bool = False) -> dict[str, object]:
    source, name = EVENTS[rng.randrange(len(EVENTS))]
    params: dict[str, object] = {}
    resources: list[dict[str, str]] = []
    if source == "s3.amazonaws.com":
        bucket = f"bucket-{rng.randrange(4)}"
        params = {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com"}
        if name != "ListObjects":
            params["key"] = f"reports/2026/{rng.randrange(10**5)}.csv"
            resources = [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{params['key']}"}]
    elif source == "dynamodb.amazonaws.com":
        params = {"tableName": "prod-reports", "keyConditionExpression": "pk = :v"}
    elif source == "kms.amazonaws.com":
        params = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        resources = [
            {"type": "AWS::KMS::Key", "ARN": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/abcd-{rng.randrange(3)}"}
        ]
    rec: dict[str, object] = {
        "eventVersion": "1.09",
        "userIdentity": _identity(rng, rng.random() < 0.25 or alone),
        "eventTime": f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i // 60) % 60:02d}Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "10.0.0.1",
        "userAgent": "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux lang/python#3.12",
        "requestParameters": params or None,
        "responseElements": None,
        "requestID": f"{rng.getrandbits(64):016x}",
        "eventID": f"{rng.getrandbits(128):032x}",
        "readOnly": not name.startswith("Put"),  # a trail logging reads and writes, as most do
        "eventType": "AwsApiCall",
        "managementEvent": source != "s3.amazonaws.com",
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data" if source == "s3.amazonaws.com" else "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"},
    }
    if resources:
        rec["resources"] = resources
    if rng.random() < 0.01:
        rec["errorCode"] = "AccessDenied"
    return rec


def generate(folder: Path, total: int, seed: int = 6, *, alone: bool = False) -> list[Path]:
    """The log; ``alone``: every record the role's."""
    rng = random.Random(seed)
    files = []
    for n, start in enumerate(range(0, total, PER_FILE)):
        records = [_record(rng, i, alone) for i in range(start, min(start + PER_FILE, total))]
        path = folder / f"{ACCOUNT}_CloudTrail_eu-west-1_20261001T{n:04d}Z_bench.json.gz"
        path.write_bytes(gzip.compress(orjson.dumps({"Records": records}), compresslevel=6))
        files.append(path)
    return files


def raw_limit(files: list[Path]) -> int:
    n = 0
    for f in files:
        n += len(orjson.loads(gzip.decompress(f.read_bytes()))["Records"])
    return n


def core(files: list[Path]) -> int:
    from rolecat.iam.actions import ActionDB
    from rolecat.scopedown.scan import Scanner

    scanner = Scanner(ROLE_ARN, ActionDB.load())
    scanner.scan_files(files)
    return scanner.result.records


def core_one_worker(files: list[Path]) -> int:
    before = os.environ.get("ROLECAT_JOBS")
    os.environ["ROLECAT_JOBS"] = "1"
    try:
        return core(files)
    finally:
        if before is None:
            del os.environ["ROLECAT_JOBS"]
        else:
            os.environ["ROLECAT_JOBS"] = before


def timed(fn: object, files: list[Path]) -> tuple[float, int]:
    t0 = time.perf_counter()
    count = fn(files)  # type: ignore[operator]
    return time.perf_counter() - t0, count


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=400_000)
    parser.add_argument("--repeat", type=int, default=5, help="paired runs (the median is printed)")
    parser.add_argument("--keep", type=Path, help="write the generated log here and keep it")
    args = parser.parse_args()

    from rolecat.iam.actions import ActionDB
    from rolecat.scopedown.reader import workers_for

    gc.disable()  # as rolecat's main() does
    ActionDB.load()  # loaded once per process; not part of the throughput
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        files = generate(folder, args.records)
        size = sum(f.stat().st_size for f in files)
        print(
            f"generated {args.records:,} records in {len(files)} files ({size / 1e6:.1f} MB gz) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        raw_ts, core_ts, raw_cpu, core_cpu, one_ts = [], [], [], [], []
        for _ in range(args.repeat):
            c0 = time.process_time()
            raw_t, raw_n = timed(raw_limit, files)
            c1, k1 = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
            core_t, core_n = timed(core, files)
            c2, k2 = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
            children = k2.ru_utime + k2.ru_stime - k1.ru_utime - k1.ru_stime
            raw_cpu.append(c1 - c0)
            core_cpu.append(max(c2 - c1, (c2 - c1 + children) / 2))  # two idle cores: the busier bound
            assert raw_n == core_n == args.records, (raw_n, core_n)
            raw_ts.append(raw_t)
            core_ts.append(core_t)
            one_t, one_n = timed(core_one_worker, files)
            assert one_n == args.records, one_n
            one_ts.append(one_t)
    ratio = statistics.median(r / c for r, c in zip(raw_ts, core_ts, strict=True))
    print(
        f"methodology: median of {args.repeat} paired runs in one process, GC off; floor = gzip.decompress + "
        f"orjson.loads of every file on one core; scopedown uses {workers_for(len(files))} worker process(es)"
    )
    print(f"floor (gzip + orjson, 1 core): median {statistics.median(raw_ts):.2f} s")
    print(f"rolecat scopedown core:        median {statistics.median(core_ts):.2f} s")
    one = statistics.median(r / c for r, c in zip(raw_ts, one_ts, strict=True))
    print(
        f"same core on one worker:       median {statistics.median(one_ts):.2f} s, {one:.2f}x the floor "
        "(the reader's own share of the ratio)"
    )
    bound = statistics.median(r / c for r, c in zip(raw_cpu, core_cpu, strict=True))
    print(
        f"CPU-time bound on two idle cores (floor CPU / max(main CPU, all CPU / 2)): {bound:.2f}x "
        "(what an unloaded machine would show; the wall-clock ratio above is the measured one)"
    )
    alone = _alone(args.records // 4, args.repeat)
    print(
        f"a log of the role's records alone ({args.records // 4:,} records, every one parsed and mapped): "
        f"{alone:.2f}x the floor (no target: the slowest input)"
    )
    met = ratio >= 1.5
    print(f"ratio scopedown / floor throughput: {ratio:.2f}x (target >= 1.5: {'met' if met else 'NOT met'})")
    return 0 if met else 1


def _alone(records: int, repeat: int) -> float:
    """The paired ratio, floor / scopedown, on a log of the role's records alone."""
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp), records, alone=True)
        ratios = []
        for _ in range(repeat):
            raw_t, _ = timed(raw_limit, files)
            core_t, _ = timed(core, files)
            ratios.append(raw_t / core_t)
    return statistics.median(ratios)


if __name__ == "__main__":
    raise SystemExit(main())
