# Sourced by ./mvnw and ./kvplace: sets KVPLACE_JDK to a JDK 25 or newer, found in
# KVPLACE_JAVA_HOME, JAVA_HOME or /usr/lib/jvm, or prints what is missing and exits.
#
# The JDK found is remembered in examples/target/jdk.cache with the environment it was found in
# (KVPLACE_JAVA_HOME, JAVA_HOME) and its release file's JAVA_RUNTIME_VERSION; the next call checks
# those with shell built-ins only and searches again when one differs (a JDK removed, replaced or
# updated, or another one asked for). A JDK's major version comes from its release file, so the
# search starts no JVM unless a candidate has none.
KVPLACE_JDK_CACHE="${KVPLACE_JDK_CACHE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/examples/target/jdk.cache}"

# The JAVA_RUNTIME_VERSION of the JDK in $1 from its release file ("" if none), without a process.
kvplace_jdk_release() {
  local line
  KVPLACE_RELEASE=""
  [ -r "$1/release" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      JAVA_RUNTIME_VERSION=*) line=${line#JAVA_RUNTIME_VERSION=}; KVPLACE_RELEASE=${line//\"/}; return 0 ;;
    esac
  done < "$1/release"
}

kvplace_java_major() {
  kvplace_jdk_release "$1"
  if [ -n "$KVPLACE_RELEASE" ]; then
    echo "${KVPLACE_RELEASE%%[.+-]*}"
    return 0
  fi
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1
}

# The cache line: the environment the search ran in, the JDK, its runtime version.
kvplace_jdk_key() {
  kvplace_jdk_release "$1"
  printf '%s|%s|%s|%s' "${KVPLACE_JAVA_HOME:-}" "${JAVA_HOME:-}" "$1" "$KVPLACE_RELEASE"
}

kvplace_find_jdk() {
  local cand major cached=""
  if [ -r "$KVPLACE_JDK_CACHE" ]; then
    IFS= read -r cached < "$KVPLACE_JDK_CACHE" || true
    cand=${cached#*|}
    cand=${cand#*|}
    cand=${cand%%|*}
    if [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] \
        && [ "$cached" = "$(kvplace_jdk_key "$cand")" ]; then
      KVPLACE_JDK="$cand"
      return 0
    fi
  fi
  for cand in "${KVPLACE_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
    [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    major=$(kvplace_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge 25 ] 2>/dev/null; then
      KVPLACE_JDK="$cand"
      # Best effort: a read-only checkout just searches every time.
      { mkdir -p "$(dirname "$KVPLACE_JDK_CACHE")" && kvplace_jdk_key "$cand" > "$KVPLACE_JDK_CACHE"; } 2>/dev/null || true
      return 0
    fi
  done
  echo "kvplace: needs a JDK 25 or newer; none found in KVPLACE_JAVA_HOME, JAVA_HOME or /usr/lib/jvm/*." >&2
  echo "kvplace: install JDK 25 and set KVPLACE_JAVA_HOME to its directory." >&2
  exit 1
}
