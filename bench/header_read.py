"""Safetensors header parsing through ranged reads: does its cost stay flat as the file grows?

Two objects: a 1 MiB LoRA and a 2 GiB sparse file (valid header + one huge all-zero tensor). Each is
read with ``read_header`` over ranged GETs, 20 times (median), counting requests and bytes received,
on two servers:
  - moto_s3: moto's ThreadedMotoServer through boto3 ``get_object(Range=...)``; the 2 GiB object is
    sent as a multipart upload from the sparse local file. moto answers every GET by loading the whole
    object and slicing it, so its time grows with object size whatever the client asks for;
  - range_http: a stdlib HTTP server that seeks to the range, as S3 does; this isolates the reader.
The reference, measured in the same run on each server, is one plain 8-byte ranged GET of the same
object: the floor cost of any request there. Prints one JSON object with, per server, the
2 GiB / 1 MiB time ratio (target <= 1.2) and, per object, bytes read (target <= header + 8 + 64 KiB).

    python -m bench.header_read [--runs 20]
"""
from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import re
import statistics
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from functions.ingest.safetensors_meta import SPECULATIVE_READ, ReadRange, read_header
from tests.fixtures.safetensors_factory import MiB, kohya_metadata, large_safetensors_bytes, single_tensor_header

BENCH_DIR = Path(".data/bench")
SMALL_PATH = BENCH_DIR / "header-read-1mib.safetensors"
LARGE_PATH = BENCH_DIR / "header-read-2gib-sparse.safetensors"
BUCKET = "header-read-bench"
LARGE_DATA_BYTES = 2 * 1024**3
TARGET_TIME_RATIO = 1.2


class CountingReader:
    """Wraps a ranged-GET function, counting requests and bytes received."""

    def __init__(self, get_range: ReadRange) -> None:
        self._get_range = get_range
        self.requests = 0
        self.bytes_read = 0

    def __call__(self, start: int, length: int) -> bytes:
        body = self._get_range(start, length)
        self.requests += 1
        self.bytes_read += len(body)
        return body


class RangeFileHandler(BaseHTTPRequestHandler):
    """Serves files from BENCH_DIR honouring single ``Range: bytes=a-b`` requests by seeking."""

    protocol_version = "HTTP/1.1"  # keep-alive, as boto3's connection pool does
    disable_nagle_algorithm = True  # else a tiny body written after the headers waits on a delayed ACK

    def do_GET(self) -> None:
        path = BENCH_DIR / Path(self.path).name
        start, end = map(int, re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers["Range"]).groups())
        with open(path, "rb") as file:
            file.seek(start)
            body = file.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


def write_bench_files() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    SMALL_PATH.write_bytes(large_safetensors_bytes(MiB - 4096, metadata=kohya_metadata("SDXL")))
    header = single_tensor_header(LARGE_DATA_BYTES, {"ss_output_name": "sparse", "ss_network_module": "networks.lora"})
    with open(LARGE_PATH, "wb") as file:
        file.write(header)
        file.truncate(len(header) + LARGE_DATA_BYTES)  # a hole: no disk blocks, no memory


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def timed(fn: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def measure_server(range_getter: Callable[[str], ReadRange], runs: int) -> dict:
    """Per object: one counted read_header, then ``runs`` interleaved timings so load drift hits both alike."""
    objects = {"small_1mib": SMALL_PATH, "large_2gib": LARGE_PATH}
    getters = {label: range_getter(path.name) for label, path in objects.items()}
    sizes = {label: path.stat().st_size for label, path in objects.items()}
    results, header_ms, single_get_ms = {}, {label: [] for label in objects}, {label: [] for label in objects}
    for label in objects:
        probe = CountingReader(getters[label])
        header = read_header(probe, sizes[label])
        results[label] = {"object_bytes": sizes[label], "header_length": header.header_length,
                          "requests": probe.requests, "bytes_read": probe.bytes_read,
                          "bytes_read_limit": header.header_length + 8 + SPECULATIVE_READ}
    for _ in range(runs):
        for label in objects:
            header_ms[label].append(timed(read_header, getters[label], sizes[label]))
            single_get_ms[label].append(timed(getters[label], 0, 8))
    for label in objects:
        results[label]["read_header_median_ms"] = median_ms(header_ms[label])
        results[label]["reference_single_8_byte_get_median_ms"] = median_ms(single_get_ms[label])
        results[label]["ratio_read_header_to_single_get"] = round(
            results[label]["read_header_median_ms"] / results[label]["reference_single_8_byte_get_median_ms"], 2)
    large, small = results["large_2gib"], results["small_1mib"]
    ratio = large["read_header_median_ms"] / small["read_header_median_ms"]
    return {
        **results,
        "time_ratio_large_to_small": round(ratio, 2),
        "reference_time_ratio_large_to_small": round(
            large["reference_single_8_byte_get_median_ms"] / small["reference_single_8_byte_get_median_ms"], 2),
        "meets_time_target": ratio <= TARGET_TIME_RATIO,
        "meets_bytes_target": all(r["bytes_read"] <= r["bytes_read_limit"] for r in results.values()),
    }


def moto_s3_results(runs: int) -> dict:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        return s3_results(f"http://{host}:{port}", runs)
    finally:
        server.stop()


def s3_results(endpoint: str, runs: int) -> dict:
    """The measurement through boto3 ranged GETs against any S3 endpoint (moto, LocalStack, MinIO)."""
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(name, value)
    import boto3
    from boto3.s3.transfer import TransferConfig

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    try:
        s3.create_bucket(Bucket=BUCKET)
        s3.upload_file(str(SMALL_PATH), BUCKET, SMALL_PATH.name)
        started = time.perf_counter()
        s3.upload_file(str(LARGE_PATH), BUCKET, LARGE_PATH.name,
                       Config=TransferConfig(multipart_threshold=64 * MiB, multipart_chunksize=64 * MiB))
        upload_s = round(time.perf_counter() - started, 1)

        def range_getter(key: str) -> ReadRange:
            def get_range(start: int, length: int) -> bytes:
                response = s3.get_object(Bucket=BUCKET, Key=key, Range=f"bytes={start}-{start + length - 1}")
                return response["Body"].read()
            return get_range

        return {"large_multipart_upload_s": upload_s, **measure_server(range_getter, runs)}
    finally:
        for path in (SMALL_PATH, LARGE_PATH):
            s3.delete_object(Bucket=BUCKET, Key=path.name)


def range_http_results(runs: int) -> dict:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RangeFileHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        def range_getter(name: str) -> ReadRange:
            connection = http.client.HTTPConnection(*server.server_address)

            def get_range(start: int, length: int) -> bytes:
                connection.request("GET", f"/{name}", headers={"Range": f"bytes={start}-{start + length - 1}"})
                return connection.getresponse().read()
            return get_range

        return measure_server(range_getter, runs)
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--s3-endpoint", help="also measure against this S3 endpoint (e.g. LocalStack)")
    args = parser.parse_args()
    runs = args.runs
    write_bench_files()
    try:
        results = {"moto_s3": moto_s3_results(runs), "range_http": range_http_results(runs)}
        if args.s3_endpoint:
            results["external_s3"] = {"endpoint": args.s3_endpoint, **s3_results(args.s3_endpoint, runs)}
    finally:
        LARGE_PATH.unlink(missing_ok=True)
    print(json.dumps({
        "runs": runs,
        "target_time_ratio": TARGET_TIME_RATIO,
        **results,
    }, indent=1))


if __name__ == "__main__":
    main()
