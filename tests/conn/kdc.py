"""A throwaway MIT Kerberos KDC for the GSSAPI test (Debian's krb5-kdc + krb5-admin-server).

Creates a realm in a temp dir, principals ``kafka/localhost`` (broker keytab) and
``client`` (client keytab), and runs ``krb5kdc`` in the foreground on a free port.
``client_env()`` is what the Python side needs (KRB5_CONFIG, client keytab, ccache).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

REALM = "AIOKAFKA.TEST"
SERVICE = f"kafka/localhost@{REALM}"
CLIENT = f"client@{REALM}"
TOOLS = ("krb5kdc", "kdb5_util", "kadmin.local")


def kdc_tools_missing() -> list[str]:
    paths = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return [t for t in TOOLS if shutil.which(t, path=paths) is None]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MiniKdc:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.krb5_conf = root / "krb5.conf"
        self.broker_keytab = root / "broker.keytab"
        self.client_keytab = root / "client.keytab"
        self._process: subprocess.Popen[bytes] | None = None

    def _env(self) -> dict[str, str]:
        return os.environ | {
            "KRB5_CONFIG": str(self.krb5_conf),
            "KRB5_KDC_PROFILE": str(self.root / "kdc.conf"),
            "PATH": os.environ.get("PATH", "") + ":/usr/sbin:/sbin",
        }

    def client_env(self) -> dict[str, str]:
        return {
            "KRB5_CONFIG": str(self.krb5_conf),
            "KRB5_CLIENT_KTNAME": str(self.client_keytab),
            "KRB5CCNAME": f"FILE:{self.root / 'ccache'}",
        }

    def _write_configs(self) -> None:
        root = self.root
        (root / "kdc.conf").write_text(
            f"[kdcdefaults]\n kdc_ports = {self.port}\n kdc_tcp_ports = {self.port}\n"
            f"[realms]\n {REALM} = {{\n  database_name = {root}/principal\n"
            f"  key_stash_file = {root}/stash\n  acl_file = {root}/kadm5.acl\n"
            "  supported_enctypes = aes256-cts-hmac-sha1-96:normal\n }\n"
            f"[logging]\n kdc = FILE:{root}/kdc.log\n"
        )
        (root / "kadm5.acl").write_text("")
        self.krb5_conf.write_text(
            f"[libdefaults]\n default_realm = {REALM}\n dns_lookup_realm = false\n"
            " dns_lookup_kdc = false\n rdns = false\n dns_canonicalize_hostname = false\n"
            " udp_preference_limit = 1\n"
            f"[realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{self.port}\n }}\n"
            f"[domain_realm]\n localhost = {REALM}\n"
        )

    def _run(self, *argv: str) -> None:
        subprocess.run(argv, env=self._env(), check=True, capture_output=True, timeout=60)

    def start(self) -> MiniKdc:
        self._write_configs()
        self._run("kdb5_util", "-r", REALM, "create", "-s", "-P", "master-pw")
        for principal, keytab in ((SERVICE, self.broker_keytab), (CLIENT, self.client_keytab)):
            self._run("kadmin.local", "-r", REALM, "-q", f"addprinc -randkey {principal}")
            self._run("kadmin.local", "-r", REALM, "-q", f"ktadd -k {keytab} {principal}")
        self._process = subprocess.Popen(
            ["krb5kdc", "-n", "-r", REALM], env=self._env(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._wait_listening()
        return self

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the KDC did not start listening")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def broker_properties(self) -> dict[str, str]:
        jaas = (
            "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true "
            f'storeKey=true keyTab="{self.broker_keytab}" principal="{SERVICE}";'
        )
        return {
            "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,GSSAPI",
            "sasl.kerberos.service.name": "kafka",
            "listener.name.sasl_plaintext.gssapi.sasl.jaas.config": jaas,
        }

    def broker_jvm_opts(self) -> str:
        return f"-Djava.security.krb5.conf={self.krb5_conf}"
