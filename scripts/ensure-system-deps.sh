#!/usr/bin/env bash
# Install the system tools the project needs when they are missing (Debian, as root or
# with sudo): a JDK 17+ and Maven (the local Kafka broker, Kafka's Java tools and the Java
# reference serializers all run from Maven Central jars), a compose implementation so the
# test suite can validate docker-compose.yml without a Docker engine, openssl for the test
# PKI, MIT Kerberos (KDC + headers) for the SASL/GSSAPI tests, and kcat + tmux for the
# command line's tests, and Chromium + its WebDriver for the documentation site's test.
set -euo pipefail
need=()
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v openssl >/dev/null 2>&1 || need+=(openssl)  # harness: PEM export of the mTLS key
# SASL/GSSAPI tests: a throwaway MIT KDC and the Kerberos headers for the gssapi wheel
command -v krb5kdc >/dev/null 2>&1 || [ -x /usr/sbin/krb5kdc ] || need+=(krb5-kdc krb5-admin-server krb5-user)
command -v krb5-config >/dev/null 2>&1 || need+=(libkrb5-dev)
# the optional compiled build (mypyc and the hand-written extensions) and the gssapi wheel
command -v gcc >/dev/null 2>&1 && [ -e /usr/include/stdio.h ] || need+=(build-essential)
# the command line's interop and terminal tests: kcat on the other side, tmux as the terminal
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
# the documentation site's browser test and `make docs-shots`: Debian's headless Chromium
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  need+=(docker-compose)
fi
if ((${#need[@]})); then
  echo "ensure-system-deps: installing ${need[*]} with apt-get" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi
ver=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')
if [ "${ver%%.*}" -lt 17 ]; then
  echo "ensure-system-deps: Java $ver found; Kafka 4.x needs 17+" >&2
  exit 1
fi
