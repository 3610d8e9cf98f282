# Sourced by ./kvplace. In the C/POSIX locale (LC_ALL=C, or no locale at all, as in many containers
# and CI jobs) the JVM decodes command-line arguments as US-ASCII and turns every non-ASCII byte of
# a --prompt into U+FFFD before Java sees it; no Java option changes that, because the launcher
# decodes argv with the locale's character set. As Python does for the C locale (PEP 538), switch
# the character set, and only it where possible, to UTF-8. A locale with another character set
# (ISO-8859-1, ...) is the user's choice and stays.
kvplace_utf8_locale() {
  local charmap cand utf8=""
  charmap=$(locale charmap 2>/dev/null || echo unknown)
  case "$charmap" in
    ANSI_X3.4-1968|ASCII|US-ASCII|646) ;;
    unknown) case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in ""|C|POSIX) ;; *) return 0 ;; esac ;;
    *) return 0 ;;
  esac
  for cand in C.UTF-8 C.utf8 en_US.UTF-8 en_US.utf8; do
    if locale -a 2>/dev/null | grep -qxF "$cand"; then
      utf8=$cand
      break
    fi
  done
  [ -n "$utf8" ] || return 0
  if [ -n "${LC_ALL:-}" ]; then
    export LC_ALL="$utf8"   # LC_ALL overrides LC_CTYPE; it has to change itself
  else
    export LC_CTYPE="$utf8"
  fi
}
