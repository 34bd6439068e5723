"""TEST HARNESS — not an object store.

A local S3 API server for the blob-store tests: moto's server mode (`ThreadedMotoServer`,
from PyPI) in a thread of the test process, on a free loopback port. boto3 talks to it over
real HTTP exactly as it talks to AWS S3 or MinIO (signatures, multipart uploads, errors as
S3 error documents); what it stores lives in the test process's memory."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from moto.server import ThreadedMotoServer

__all__ = ["S3Harness", "s3_harness"]

ACCESS_KEY, SECRET_KEY, REGION = "harness-key", "harness-secret", "us-east-1"


class S3Harness:
    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url

    def client(self) -> object:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)  # type: ignore[attr-defined]

    def environment(self, bucket: str, prefix: str = "blobs") -> dict[str, str]:
        """What a deployment sets to use this store."""
        return {
            "DEALSIGNAL_BLOBS__URL": f"s3://{bucket}/{prefix}",
            "DEALSIGNAL_BLOBS__ENDPOINT_URL": self.endpoint_url,
            "DEALSIGNAL_BLOBS__REGION": REGION,
            "DEALSIGNAL_BLOBS__ACCESS_KEY_ID": ACCESS_KEY,
            "DEALSIGNAL_BLOBS__SECRET_ACCESS_KEY": SECRET_KEY,
            "DEALSIGNAL_BLOBS__ADDRESSING_STYLE": "path",
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def s3_harness() -> Iterator[S3Harness]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Harness(f"http://127.0.0.1:{port}")
    finally:
        server.stop()
