#!/usr/bin/env bash
# Installs Herald into a scratch prefix, builds the out-of-tree plugin and the embedding sample
# against the installed package, and runs both with the installed `herald`.
#   check_installed_package.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
unset HERALD_PLUGIN_DIR
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
for sample in plugin embed; do
  cmake -S "$src/samples/$sample" -B "$work/$sample" "${generator[@]}" -DCMAKE_PREFIX_PATH="$prefix" > "$work/$sample.log"
  cmake --build "$work/$sample" >> "$work/$sample.log"
done

cat > "$work/company.yaml" <<YAML
herald: 1
plugin_paths: [$prefix/lib/herald/plugins, $work/plugin/herald_shout.so]
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
  mo: { roles: [marketing] }
workflows:
  careful:
    steps:
      - { kind: draft, plugin: shout, config: { max_exclamations: 1 } }
      - { kind: approve, plugin: approve, config: { role: marketing } }
      - { kind: publish, plugin: outbox }
YAML
herald=$prefix/bin/herald
"$herald" validate "$work/company.yaml" | grep -q "draft (draft) by shout/no_shouting"
"$herald" plugins --config "$work/company.yaml" | grep -q "^shout 1.0.0"
loud=$("$herald" submit "$work/company.yaml" -w careful -a corp --author ana --text "BUY NOW!!!")
"$herald" run "$work/company.yaml" --clock virtual --start 2027-01-01T00:00:00Z --until-idle > /dev/null
"$herald" status "$work/company.yaml" "$loud" | grep -q "too many exclamation marks"
echo "installed herald ran the out-of-tree plugin: loud post rejected"

"$work/embed/embed" "$work/company.yaml" careful corp ana mo "A calm, useful update." | tee "$work/embed.out"
grep -q "done" "$work/embed.out"
test "$(wc -l < "$work/outbox/corp.jsonl")" -eq 1
echo "embedding sample published through the installed host"
