"""Self-signed test PKI made with keytool: a CA, a broker keystore, a client keystore.

Theory of operation: keytool (one JVM per step) makes a CA, a broker key signed by it with
SAN DNS:localhost,IP:127.0.0.1, and a client key (CN=admin, for mTLS) signed by it; the CA
and client certificate are exported as PEM and openssl extracts the client key as PEM, so
Python's ssl module can use them. The set is cached under the harness cache (built in a
temp dir, renamed into place, under a file lock) because a dozen JVM launches cost seconds.
Test material only: fixed passwords, never use it for anything real.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ._config import TlsFiles
from ._errors import BackendUnavailableError, HarnessError
from ._jars import _locked, cache_root

__all__ = ["TLS_PASSWORD", "ensure_tls_files", "tls_files_in"]

TLS_PASSWORD = "test-secret"
_LAYOUT_VERSION = "v1"
_SAN = "SAN=DNS:localhost,IP:127.0.0.1"


def tls_files_in(directory: Path) -> TlsFiles:
    """The TLS file names inside ``directory`` (existing or not)."""
    return TlsFiles(
        password=TLS_PASSWORD,
        broker_keystore=directory / "broker.p12",
        client_keystore=directory / "client.p12",
        truststore=directory / "truststore.p12",
        ca_pem=directory / "ca.pem",
        client_cert_pem=directory / "client.pem",
        client_key_pem=directory / "client.key",
    )


def ensure_tls_files() -> TlsFiles:
    """The cached test PKI, created on first use."""
    target = cache_root() / "tls" / _LAYOUT_VERSION
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        with _locked(target.parent / ".lock"):
            if not target.is_dir():
                _build_into(target)
    return tls_files_in(target)


def _build_into(target: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        _make_ca(work)
        _make_signed(work, "broker", "CN=localhost,O=aiokafka-gen test", with_san=True)
        _make_signed(work, "client", "CN=admin,O=aiokafka-gen test", with_san=False)
        _keytool(
            work,
            "-importcert",
            "-noprompt",
            "-alias",
            "ca",
            "-file",
            "ca.pem",
            "-keystore",
            "truststore.p12",
        )
        _export_key_pem(work)
        work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _make_ca(work: Path) -> None:
    _keytool(
        work,
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=aiokafka-gen test CA",
        "-ext",
        "bc:c",
        "-keystore",
        "ca.p12",
    )
    _keytool(work, "-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.pem")


def _make_signed(work: Path, name: str, dname: str, *, with_san: bool) -> None:
    store = f"{name}.p12"
    _keytool(
        work,
        "-genkeypair",
        "-alias",
        name,
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        dname,
        "-keystore",
        store,
    )
    _keytool(work, "-certreq", "-alias", name, "-keystore", store, "-file", f"{name}.csr")
    ext = ["-ext", _SAN] if with_san else []
    _keytool(
        work,
        "-gencert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        "ca.p12",
        "-infile",
        f"{name}.csr",
        "-outfile",
        f"{name}.pem",
        *ext,
    )
    _keytool(
        work, "-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", store
    )
    _keytool(work, "-importcert", "-alias", name, "-file", f"{name}.pem", "-keystore", store)


def _keytool(work: Path, *args: str) -> None:
    keytool = shutil.which("keytool")
    if keytool is None:
        raise BackendUnavailableError("keytool (JDK) is not on PATH; TLS listeners need it")
    common = ["-storetype", "PKCS12", "-storepass", TLS_PASSWORD]
    if args[0] in ("-genkeypair", "-gencert"):
        common += ["-validity", "3650"]
    _run(work, [keytool, *args, *common])


def _export_key_pem(work: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise BackendUnavailableError("openssl is not on PATH; the client key PEM needs it")
    _run(
        work,
        [
            openssl,
            "pkcs12",
            "-in",
            "client.p12",
            "-nocerts",
            "-nodes",
            "-passin",
            f"pass:{TLS_PASSWORD}",
            "-out",
            "client.key",
        ],
    )


def _run(work: Path, argv: list[str]) -> None:
    done = subprocess.run(argv, cwd=work, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HarnessError(f"{' '.join(argv)} failed: {done.stdout}{done.stderr}")
