#!/usr/bin/env bash
# Run python-scim's RFC 7643/7644 compliance checker (PyPI: scim2-tester, through
# scim2-cli's `scim test`) against a SCIM service provider.
#
#   scripts/scim-compliance.sh BASE_URL            # token from $SCIM_TOKEN (optional)
#   SCIM_TOKEN=secret scripts/scim-compliance.sh http://127.0.0.1:PORT/scim/v2
#
# Prints the checker's report (one `STATUS check` line per result, then its reason) and
# a last line `summary: N results, S SUCCESS, F other`. Exits 0 only when every result is
# SUCCESS (the checker itself exits 1 on anything else: ERROR, SKIPPED, DEVIATION, ...).
# The token is passed in $SCIM_CLI_HEADERS, never on a command line.
#
# The virtualenv ($SCIM_TESTER_VENV, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/invite/scim-tester-venv) is created on first use from
# PyPI (needs python3 with venv and pip) with the versions pinned below
# (scripts/lib/pinned-venv.sh).
set -euo pipefail

SCIM2_TESTER_VERSION=0.5.2
SCIM2_CLI_VERSION=0.6.0
SCIM2_MODELS_VERSION=0.12.3

venv="${SCIM_TESTER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/invite/scim-tester-venv}"

die() { echo "scim-compliance.sh: $*" >&2; exit 2; }

[ $# -eq 1 ] || die "usage: scim-compliance.sh BASE_URL (token in \$SCIM_TOKEN)"
url="$1"

# shellcheck source=lib/pinned-venv.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/pinned-venv.sh"
ensure_venv "$venv" "scim2_tester, scim2_cli" "scim2-tester==$SCIM2_TESTER_VERSION" \
  "scim2-cli==$SCIM2_CLI_VERSION" "scim2-models==$SCIM2_MODELS_VERSION"
[ -x "$venv/bin/scim" ] || die "scim2-cli installed no scim command in $venv"

headers=""
[ -z "${SCIM_TOKEN:-}" ] || headers="Authorization: Bearer $SCIM_TOKEN"

set +e
out="$(SCIM_CLI_HEADERS="$headers" "$venv/bin/python" "$venv/bin/scim" --url "$url" test 2>&1)"
rc=$?
set -e
printf '%s\n' "$out"
total=$(printf '%s\n' "$out" | grep -cE '^[A-Z]+ [a-z_]+' || true)
ok=$(printf '%s\n' "$out" | grep -cE '^SUCCESS ' || true)
echo "summary: $total results, $ok SUCCESS, $((total - ok)) other"
if [ "$rc" -ne 0 ] || [ "$total" -eq 0 ] || [ "$ok" -ne "$total" ]; then
  exit 1
fi
