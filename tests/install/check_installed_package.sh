#!/usr/bin/env bash
# Installs Herald into a scratch prefix, builds the out-of-tree plugin and the embedding sample
# against the installed package, and runs both with the installed `herald`.
#   check_installed_package.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
unset HERALD_PLUGIN_DIR
rm -rf "$work" && mkdir -p "$work"
# CMake and Ninja compare file times with the clock: they run on the real clock even when the
# suite runs under faketime (what is checked here is the installed package, not the build tools).
real_clock() { env -u LD_PRELOAD -u FAKETIME "$@"; }
prefix=$work/prefix
real_clock cmake --install "$build" --prefix "$prefix" > "$work/install.log"
# Shell completion and the manual page, where shells and man look for them.
for file in share/bash-completion/completions/herald share/zsh/site-functions/_herald \
  share/fish/vendor_completions.d/herald.fish share/man/man1/herald.1; do
  test -s "$prefix/$file" || { echo "cmake --install did not install $file" >&2; exit 1; }
done
bash --norc --noprofile -c "source '$prefix/share/bash-completion/completions/herald' &&
  COMP_WORDS=(herald sta) && COMP_CWORD=1 && _herald && [[ \${COMPREPLY[*]} == status ]]" || {
  echo "the installed bash completion does not complete 'herald sta' to 'status'" >&2
  exit 1
}
echo "installed: bash, zsh and fish completion, and herald.1"
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
for sample in plugin embed; do
  real_clock cmake -S "$src/samples/$sample" -B "$work/$sample" "${generator[@]}" -DCMAKE_PREFIX_PATH="$prefix" > "$work/$sample.log"
  real_clock cmake --build "$work/$sample" >> "$work/$sample.log"
done

cat > "$work/company.yaml" <<YAML
herald: 1
plugin_paths: [$prefix/lib/herald/plugins, $work/plugin/herald_shout.so, $work/plugin/herald_team_chat.so, $work/plugin/herald_crm.so]
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
  mo: { roles: [marketing] }
  lea: {}
notifiers:
  chat: { plugin: team_chat/room, config: { file: chat.log } }
inbound:
  steps:
    - plugin: inbound/influence
    - plugin: crm/customers
      config: { handles: ["@BigCo"] }
    - plugin: inbound/moderation
      config: { rules: [ { words: [moron], action: mute } ] }
workflows:
  careful:
    steps:
      - { kind: draft, plugin: shout, config: { max_exclamations: 1 } }
      - { kind: approve, plugin: approve, config: { role: marketing } }
      - { kind: publish, plugin: outbox }
      - { kind: amplify, plugin: advocacy, config: { notifier: chat, window: 0s } }
YAML
herald=$prefix/bin/herald
"$herald" validate "$work/company.yaml" | grep "draft (draft) by shout/no_shouting" > /dev/null  # reads it all: -q would end the pipe early (SIGPIPE)
"$herald" plugins --config "$work/company.yaml" | grep "^shout 1.0.0" > /dev/null  # reads it all: -q would end the pipe early (SIGPIPE)
loud=$("$herald" submit "$work/company.yaml" -w careful -a corp --author ana --text "BUY NOW!!!")
"$herald" run "$work/company.yaml" --clock virtual --start 2027-01-01T00:00:00Z --until-idle > /dev/null
"$herald" status "$work/company.yaml" "$loud" | grep "too many exclamation marks" > /dev/null  # reads it all: -q would end the pipe early (SIGPIPE)
echo "installed herald ran the out-of-tree plugin: loud post rejected"

# The out-of-tree notifier replaces the built-in outbox for share requests.
"$herald" advocacy optin "$work/company.yaml" --person lea --account corp > /dev/null
calm=$("$herald" submit "$work/company.yaml" -w careful -a corp --author ana --text "A calm note.")
"$herald" run "$work/company.yaml" --until-idle > /dev/null
"$herald" approve "$work/company.yaml" "$calm" --as mo > /dev/null
"$herald" run "$work/company.yaml" --until-idle > /dev/null
grep -q "@lea: please share post $calm" "$work/chat.log"
test ! -e "$work/outbox/share-requests.jsonl"
rm -f "$work/outbox/corp.jsonl" "$work/chat.log"
echo "installed herald sent a share request through the out-of-tree notifier"

# The out-of-tree inbound step puts a customer first in the inbox.
cat > "$work/mentions.jsonl" <<'JSONL'
{"network": "mastodon", "author": "@star", "followers": 5000, "text": "@corp nice"}
{"network": "mastodon", "author": "@bigco", "followers": 20, "text": "@corp question"}
{"network": "mastodon", "author": "@troll", "followers": 10, "text": "@corp moron"}
JSONL
"$herald" validate "$work/company.yaml" | grep "customers by crm/customers" > /dev/null  # reads it all: -q would end the pipe early (SIGPIPE)
"$herald" inbound import "$work/company.yaml" "$work/mentions.jsonl" > /dev/null
"$herald" inbound list "$work/company.yaml" --json | /usr/bin/python3 -c '
import json, sys
mentions = json.load(sys.stdin)
assert [m["author"] for m in mentions][0] == "@bigco", mentions
assert mentions[0]["score_formula"].endswith("+ 40 (customer)"), mentions[0]
assert [m["action"] for m in mentions if m["author"] == "@troll"] == ["mute"], mentions
'
echo "installed herald ran the out-of-tree inbound step: the customer first, the troll muted"

"$work/embed/embed" "$work/company.yaml" careful corp ana mo "A calm, useful update." | tee "$work/embed.out"
grep -q "done" "$work/embed.out"
test "$(wc -l < "$work/outbox/corp.jsonl")" -eq 1
echo "embedding sample published through the installed host"

# The installed Python package, alone on sys.path (not the build tree's): it opens the same
# configuration and drives a post through it.
site=$(find "$prefix" -type d -name herald -path "*-packages/herald" | head -n 1)
test -f "$site/__init__.pyi" && test -f "$site/py.typed"
rm -f "$work/outbox/corp.jsonl"
/usr/bin/python3 -s - "$(dirname "$site")" "$work/company.yaml" <<'PY'
import sys
site, config = sys.argv[1], sys.argv[2]
sys.path = [site] + [p for p in sys.path if "-packages" not in p]
import herald
assert herald.__file__.startswith(site), herald.__file__
host = herald.Host(config, clock=herald.VirtualClock("2027-01-02T00:00:00Z"))
post = host.submit("careful", "corp", "A calm, useful update from Python.", author="ana")
host.run()
host.approve(post.id, as_="mo")
host.run()
assert host.status(post.id).state == "done", host.status(post.id)
print("installed Python package published a post")
PY
test "$(wc -l < "$work/outbox/corp.jsonl")" -eq 1

# A configuration that names no plugin_paths gets the plugins installed beside the package, not
# the build tree's (which is still there), and not those of another prefix; its isolated publish
# step runs in the installed herald-plugin-host.
mkdir -p "$work/builtin"
sed -e '/^plugin_paths:/d' -e '/^notifiers:/,/^workflows:/{/^workflows:/!d}' \
    -e 's/^      - { kind: draft, plugin: shout.*$//' -e 's/^      - { kind: amplify.*$//' \
    -e 's/{ kind: publish, plugin: outbox }/{ kind: publish, plugin: outbox, isolation: process }/' \
    "$work/company.yaml" > "$work/builtin/company.yaml"
grep -q "plugin: outbox, isolation: process" "$work/builtin/company.yaml"
if grep -q "plugin_paths\|shout\|crm/" "$work/builtin/company.yaml"; then
  echo "the builtin-plugins configuration still names other plugins" >&2
  exit 1
fi
/usr/bin/python3 -s - "$(dirname "$site")" "$work/builtin/company.yaml" "$prefix" <<'PY'
import os, sys
site, config, prefix = sys.argv[1], sys.argv[2], os.path.realpath(sys.argv[3])
sys.path = [site] + [p for p in sys.path if "-packages" not in p]
import herald
plugins = os.path.realpath(os.path.join(prefix, "lib", "herald", "plugins"))
assert os.path.realpath(herald.plugin_dir()) == plugins, (herald.plugin_dir(), plugins)
with herald.Host(config, clock=herald.VirtualClock("2027-01-02T00:00:00Z")) as host:
    files = [os.path.realpath(str(p["file"])) for p in host.plugins()]
    assert files and all(f.startswith(plugins + os.sep) for f in files), files
    post = host.submit("careful", "corp", "Published with the installed plugins.", author="ana")
    host.run()
    host.approve(post.id, as_="mo")
    host.run()
    assert host.status(post.id).state == "done", host.status(post.id)
print("installed Python package found its own plugins: " + plugins)
PY
test "$(wc -l < "$work/builtin/outbox/corp.jsonl")" -eq 1

# The installed `herald` loads its Python module (lib/herald/herald-python.so) when a
# configuration uses Python, and only then: the Python sample's steps and hooks.
test -f "$prefix/lib/herald/herald-python.so"
if ldd "$prefix/bin/herald" | grep -q libpython; then
  echo "the installed herald links libpython; it should load it only for Python" >&2
  exit 1
fi
cp -r "$src/samples/python" "$work/python-sample"
sed -i "s#^store:#plugin_paths: [$prefix/lib/herald/plugins]\nstore:#" "$work/python-sample/herald.yaml"
(cd "$work/python-sample" && "$herald" validate herald.yaml) | tee "$work/python-validate.out"
grep -q "python:acme.steps:RouteComplaints" "$work/python-validate.out"
echo "installed herald loaded Python for the sample's steps and hooks"
