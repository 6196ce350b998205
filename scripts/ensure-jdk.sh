#!/usr/bin/env bash
# Make sure a JDK (17+) and Maven are present: the local Kafka broker, Kafka's
# Java tools and the Java reference serializers all run from Maven Central jars.
set -euo pipefail
need=()
if ! command -v javac >/dev/null 2>&1; then need+=(openjdk-17-jdk-headless); fi
if ! command -v mvn >/dev/null 2>&1; then need+=(maven); fi
if ((${#need[@]})); then
  echo "ensure-jdk: installing ${need[*]} with apt-get" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi
ver=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')
if [ "${ver%%.*}" -lt 17 ] 2>/dev/null; then
  echo "ensure-jdk: Java $ver found, Kafka 4.x needs 17+" >&2; exit 1
fi
