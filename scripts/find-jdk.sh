# Sourced by ./mvnw and ./kvplace: sets KVPLACE_JDK to a JDK 25 or newer, found in
# KVPLACE_JAVA_HOME, JAVA_HOME or /usr/lib/jvm, or prints what is missing and exits.
kvplace_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1
}

kvplace_find_jdk() {
  local cand major
  for cand in "${KVPLACE_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
    [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    major=$(kvplace_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge 25 ] 2>/dev/null; then
      KVPLACE_JDK="$cand"
      return 0
    fi
  done
  echo "kvplace: needs a JDK 25 or newer; none found in KVPLACE_JAVA_HOME, JAVA_HOME or /usr/lib/jvm/*." >&2
  echo "kvplace: install JDK 25 and set KVPLACE_JAVA_HOME to its directory." >&2
  exit 1
}
