"""HTTPS downloads: libcurl trusts the certificate store Python trusts, and nothing else."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from imgharvest.pipeline.curl_fetch import CurlFetcher
from imgharvest.pipeline.fetch import Fetcher
from imgharvest.pipeline.records import Reason
from tests.conftest import free_port

BODY = b"\xff\xd8\xff" + b"x" * 1000


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imgharvest test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


async def _image(_: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="image/jpeg")


@pytest.fixture
async def tls_site(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """An HTTPS server on loopback serving one small JPEG-like body; (its URL, its cert)."""
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    app = web.Application()
    app.router.add_get("/a.jpg", _image)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
    yield f"https://127.0.0.1:{port}/a.jpg", cert
    await runner.cleanup()


@pytest.mark.parametrize("backend", [Fetcher, CurlFetcher])
async def test_an_untrusted_certificate_is_refused(
    backend: type[Fetcher], tls_site: tuple[str, Path], make_settings: Any, tmp_path: Path
) -> None:
    url, _ = tls_site
    async with backend(make_settings(retries=0)) as fetcher:
        result = await fetcher.download(url, tmp_path / "a.jpg")
    assert (result.ok, result.reason) == (False, Reason.CONNECTION)
    assert not (tmp_path / "a.jpg").exists()


async def test_curl_trusts_the_store_python_trusts(
    tls_site: tuple[str, Path],
    make_settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # aiohttp reads the store once, when imported; libcurl is told Python's store per handle
    url, cert = tls_site
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    async with CurlFetcher(make_settings(retries=0)) as fetcher:
        result = await fetcher.download(url, tmp_path / "a.jpg")
    assert result.ok, result.detail
    assert (tmp_path / "a.jpg").read_bytes() == BODY
