#!/usr/bin/env bash
# Checks the configuration examples of a document: every ```yaml block whose first line is
# "# file: NAME" is written to a scratch folder under that name, then `herald validate` must
# accept each file that starts a configuration (`herald: 1`).
#   check-doc-examples.sh HERALD DOC.md WORK_DIR
set -euo pipefail
herald=$1 doc=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
awk -v dir="$work" '
  /^```yaml$/ { inside = 1; file = ""; next }
  /^```$/ { inside = 0; file = ""; next }
  inside && file == "" && /^# file: / { file = dir "/" $3; printf "" > file; next }
  inside && file != "" { print >> file }
' "$doc"
# The audit checkpoint key an example names, made as docs/approvals.md says.
if grep -q 'audit-ed25519.pem' "$doc"; then
  openssl genpkey -algorithm ed25519 -out "$work/audit-ed25519.pem" 2> /dev/null
fi
count=0
for config in "$work"/*.yaml; do
  grep -q '^herald: 1' "$config" || continue
  "$herald" validate "$config" > /dev/null
  echo "ok: $(basename "$config")"
  count=$((count + 1))
done
((count > 0)) || { echo "no configuration examples found in $doc" >&2; exit 1; }
