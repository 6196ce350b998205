"""Vendor Kafka's message specs and error table from the kafka-clients jar on Maven Central.

``python -m codegen.update_specs --kafka-version X`` resolves org.apache.kafka:kafka-clients:X
(and its runtime dependencies) with Maven, replaces kafka_messages_json/*.json with the jar's
``common/message/*.json`` (verbatim), dumps ``Errors`` to errors.tsv with a small Java program,
rewrites SOURCE and prints what changed between the old and the new specs.

It must not touch generated/: regenerating is a separate, reviewable step (``make regen``).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from codegen.specdiff import describe_changes, load_raw_specs

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "kafka_messages_json"
JAVA_SRC = Path(__file__).resolve().parent / "java" / "ErrorsDump.java"
MESSAGE_PREFIX = "common/message/"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.aiokafka_gen</groupId>
  <artifactId>spec-fetch</artifactId>
  <version>0</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-clients</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
</project>
"""


class UpdateError(RuntimeError):
    """Maven, javac or the jar did not produce what the update needs."""


def _run(cmd: list[str], cwd: Path) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise UpdateError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def resolve_jars(version: str, work: Path) -> list[Path]:
    """Copy kafka-clients and its runtime dependencies into work/lib with Maven."""
    (work / "pom.xml").write_text(_POM.format(version=version))
    cmd = ["mvn", "-B", "-q", "dependency:copy-dependencies", "-DincludeScope=runtime"]
    _run([*cmd, "-DoutputDirectory=lib"], work)
    jars = sorted((work / "lib").glob("*.jar"))
    if not any(j.name == f"kafka-clients-{version}.jar" for j in jars):
        raise UpdateError(f"kafka-clients-{version}.jar not resolved")
    return jars


def extract_specs(jar: Path, dest: Path) -> int:
    """Replace dest/*.json with the jar's common/message/*.json; return how many."""
    for old in dest.glob("*.json"):
        old.unlink()
    count = 0
    with zipfile.ZipFile(jar) as archive:
        for name in sorted(archive.namelist()):
            if name.startswith(MESSAGE_PREFIX) and name.endswith(".json"):
                (dest / name[len(MESSAGE_PREFIX) :]).write_bytes(archive.read(name))
                count += 1
    if count == 0:
        raise UpdateError(f"{jar} holds no {MESSAGE_PREFIX}*.json")
    return count


def dump_errors(jars: list[Path], work: Path) -> str:
    """Compile and run ErrorsDump against the jars; return its TSV output."""
    classpath = ":".join(str(j) for j in jars)
    classes = work / "classes"
    classes.mkdir()
    _run(["javac", "-d", str(classes), "-cp", classpath, str(JAVA_SRC)], work)
    return _run(["java", "-cp", f"{classpath}:{classes}", "ErrorsDump"], work)


def write_source(version: str, jar: Path, spec_dir: Path) -> None:
    digest = hashlib.sha256(jar.read_bytes()).hexdigest()
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    lines = [f"kafka_version={version}", f"jar=kafka-clients-{version}.jar"]
    lines += [f"jar_sha256={digest}", f"updated={today}"]
    (spec_dir / "SOURCE").write_text("\n".join(lines) + "\n")


def update(version: str, spec_dir: Path = SPEC_DIR) -> list[str]:
    """Vendor ``version`` into spec_dir; return the human-readable change list."""
    before = load_raw_specs(spec_dir)
    with tempfile.TemporaryDirectory(prefix="aiokafka-gen-specs-") as tmp:
        work = Path(tmp)
        jars = resolve_jars(version, work)
        clients = next(j for j in jars if j.name == f"kafka-clients-{version}.jar")
        errors_tsv = dump_errors(jars, work)
        extract_specs(clients, spec_dir)
        (spec_dir / "errors.tsv").write_text(errors_tsv)
        write_source(version, clients, spec_dir)
    return describe_changes(before, load_raw_specs(spec_dir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.update_specs")
    parser.add_argument("--kafka-version", required=True)
    args = parser.parse_args(argv)
    try:
        changes = update(args.kafka_version)
    except UpdateError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"vendored kafka-clients {args.kafka_version} into {SPEC_DIR.name}/")
    print("\n".join(changes) if changes else "no spec changes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
