# Sourced by the scripts that run python-scim tools from PyPI (scim-server.sh,
# scim-compliance.sh): one way to get a virtualenv with pinned packages.
#
#   ensure_venv VENV IMPORTS PACKAGE...
#
# VENV is where the virtualenv lives; IMPORTS are the Python modules ("a, b") whose import
# proves it complete; PACKAGE... are the pinned requirements, the tool first
# ("scim2-server==0.8.3" ...). Nothing happens when VENV is complete already. Otherwise it is
# built in a temporary directory and moved into place only once complete, so concurrent first
# runs and interrupted installs never leave a broken venv behind. Needs python3 with venv and
# pip; failures go through the caller's `die`.

venv_ready() { [ -x "$1/bin/python" ] && "$1/bin/python" -c "import $2" 2>/dev/null; }

ensure_venv() {
  local venv="$1" imports="$2"
  shift 2
  venv_ready "$venv" "$imports" && return 0
  local tool="${1%%==*}" script="${0##*/}"
  command -v python3 >/dev/null 2>&1 || die "python3 is not installed; it is needed to run $tool"
  python3 -c 'import venv, ensurepip' 2>/dev/null \
    || die "python3 lacks the venv/ensurepip modules (Debian: apt-get install python3-venv)"
  echo "$script: creating $venv (first use, installs $1 from PyPI)" >&2
  mkdir -p "$(dirname "$venv")"
  local tmp="$venv.tmp.$$"
  rm -rf "$tmp"
  trap "rm -rf $(printf %q "$tmp")" EXIT
  python3 -m venv "$tmp" >&2 || die "python3 -m venv failed"
  "$tmp/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2 \
    || die "pip install $1 failed (is PyPI reachable?)"
  venv_ready "$tmp" "$imports" || die "$tool did not install cleanly"
  # Another run may have finished first: keep whichever venv is complete.
  if venv_ready "$venv" "$imports"; then rm -rf "$tmp"; else rm -rf "$venv"; mv "$tmp" "$venv"; fi
  trap - EXIT
}
