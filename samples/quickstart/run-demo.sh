#!/usr/bin/env bash
# The quickstart: Acme's workflows run nine posts through every step on a virtual clock.
#   run-demo.sh [HERALD_BINARY] [WORK_DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
herald=${1:-$here/../../build/bin/herald}
[[ -x $herald ]] || { echo "run-demo.sh: no herald binary at $herald (build first: scripts/setup.sh)" >&2; exit 1; }
herald=$(cd "$(dirname "$herald")" && pwd)/$(basename "$herald")
work=${2:-$here/../../build/demo}
rm -rf "$work" && mkdir -p "$work"
work=$(cd "$work" && pwd)
cp "$here/herald.yaml" "$here/legal-rules.yaml" "$here/engagement-acme_x.csv" "$here/mentions.jsonl" "$work/"
config=$work/herald.yaml
cd "$work"

# The accounts' tokens come from the environment; these demo values never leave the outbox.
export ACME_FEDIVERSE_TOKEN=demo-mastodon-token ACME_X_TOKEN=demo-x-token

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
h() { echo "\$ herald $*" | sed "s|$config|herald.yaml|g"; "$herald" "$@"; }

say "The configuration and its plugins"
h validate "$config"

say "Start a virtual clock: Monday 30 November 2026, 08:00 UTC"
h run "$config" --clock virtual --start 2026-11-30T08:00:00Z --until-idle

say "Colleagues opt in to share Acme's posts (employee advocacy)"
h advocacy optin "$config" --person mo --account acme_mastodon
h advocacy optin "$config" --person sam --account acme_mastodon
h advocacy optin "$config" --person li --account acme_mastodon
h advocacy optin "$config" --person sam --account acme_x

say "Nine posts are submitted"
hiring=$(h submit "$config" -w announce -a acme_mastodon --author ana --text "We are hiring engineers in Oslo. Come build with us: https://acme.example/jobs" | tail -1)
launch=$(h submit "$config" -w announce -a acme_x --author ana --tag launch --at "2026-12-01 09:00" \
  --text "Meet Rocket, our new delivery drone. Our revenue forecast says you will love it." | tail -1)
spam=$(h submit "$config" -w announce -a acme_x --author mo --text "Rocket is guaranteed to never fail" | tail -1)
deal=$(h submit "$config" -w announce -a acme_mastodon --author mo --text "Big news soon about an acquisition in Asia" | tail -1)
support=$(h submit "$config" -w support -a acme_support --author eve --text "Hi! You can reset your password at https://acme.example/reset" | tail -1)
tokyo=$(h submit "$config" -w announce -a acme_mastodon --author ana --at "2026-12-02 08:30 Asia/Tokyo" \
  --text "Konnichiwa Tokyo! Our team visits your city this week." | tail -1)
offbrand=$(h submit "$config" -w announce -a acme_x --author ana --text "lol our product is the best, no cap" | tail -1)
first_person=$(h submit "$config" -w announce -a acme_x --author ana \
  --text "I think you will love Rocket. Part I of our story: fast I/O and an iPhone app." | tail -1)
long_answer=$(h submit "$config" -w support -a acme_support --author eve --text "Thanks for asking \
about resets. Open the app and choose Settings, then Account, then Security. There you will find \
the reset button; press it and we send a link to the address on file within five minutes. If no \
link arrives, look in your spam folder, then write to us again at https://acme.example/help with \
your order number so that we can find your account quickly. We answer every message within one \
working day, weekends included." | tail -1)
echo "posts: $hiring $launch $spam $deal $support $tokyo $offbrand $first_person $long_answer"

say "Best times from the X account's own engagement history (the schedule step takes the top two)"
h engagement import "$config" --account acme_x engagement-acme_x.csv
h slots "$config" --account acme_x --count 3

say "The engine runs until every post waits for a person (virtual clock)"
h run "$config" --clock virtual --until 2026-11-30T09:00:00Z
h status "$config"

say "What waits for Li (marketing), oldest first"
h inbox "$config" --as li | head -12

say "Marketing reviews"
h approve "$config" "$hiring" --as mo --comment "great" --stage marketing
h approve "$config" "$launch" --as li
h approve "$config" "$deal" --as li
h approve "$config" "$tokyo" --as li
h reject "$config" "$offbrand" --as li --reason "off brand: please rewrite without slang"
echo "(four eyes: Mo cannot approve his own post)"
h approve "$config" "$deal" --as mo || echo "refused, as it should be (exit $?)"
h run "$config" --clock virtual --until 2026-11-30T12:00:00Z

say "The rejected post went back to Ana; she edits it and it goes through the chain again"
h inbox "$config" --as ana
h edit "$config" "$offbrand" --as ana --text "We think Rocket is the best drone we have made." \
  --reason "rewritten without slang"
h run "$config" --clock virtual --until 2026-11-30T12:30:00Z
h approve "$config" "$offbrand" --as li --comment "much better"

say "The launch post needs an executive; Sam is away and lets Mo act for him until Wednesday"
h status "$config"
h delegate "$config" --from sam --to mo --until 2026-12-02T18:00:00Z
h approve "$config" "$launch" --as mo --stage executive --comment "go (for Sam)"
h run "$config" --clock virtual --until 2026-11-30T15:00:00Z

say "Legal's inbox: each matched span of its rules"
h inbox "$config" --as grace
h legal clear "$config" "$launch" --as grace --reason "forecast wording is fine"
h legal reject "$config" "$deal" --as grace --reason "not public yet: material non-public information"

say "Cleared posts take their place in each account's plan: slots, caps, gaps and quiet hours"
h run "$config" --clock virtual --until 2026-11-30T15:30:00Z
h calendar "$config" --from 2026-11-30 --days 5

say "The Tokyo post asked for 08:30 in Tokyo: past midnight for its Oslo audience, so it is held"
h status "$config" "$tokyo" | grep -E "state|why|planned"
h urgent "$config" "$tokyo" --as sam --reason "the Tokyo team lands at 08:30 local time"
h run "$config" --clock virtual --until 2026-11-30T16:00:00Z
h status "$config" "$tokyo" | grep -E "state|planned"

say "Crisis: one command stops everything not yet published; resume gives missed slots new ones"
h pause "$config" --reason "verifying a product safety report" --as gia
h run "$config" --clock virtual --until 2026-12-01T20:00:00Z
h status "$config"
h resume "$config" --as gia --reason "report checked: no issue"
h calendar "$config" --from 2026-11-30 --days 7 --html calendar.html
for id in $hiring $launch $tokyo $offbrand; do
  grep -q "#$id " calendar.html || { echo "calendar.html does not show post $id" >&2; exit 1; }
done

say "Time passes: scheduled posts go out in their slots"
h run "$config" --clock virtual --until-idle
h calendar "$config" --from 2026-11-30 --days 7

say "Draft rules: the brand speaks as we; Eve's long answer was signed and split for Bluesky"
h audit "$config" "$first_person"
h audit "$config" "$long_answer"

say "The hiring post was amplified: share requests spread over two hours, a share reported back"
h advocacy report "$config" "$hiring" --person sam --url https://social.example/@sam/1
h amplify status "$config" "$hiring"
python3 - outbox/share-requests.jsonl <<'PY'
import datetime, json, sys
print("share requests (outbox/share-requests.jsonl):")
for line in open(sys.argv[1]):
    r = json.loads(line)
    due = datetime.datetime.fromtimestamp(r["due"] / 1000, datetime.timezone.utc)
    x = r["suggestions"]["x"]
    print(f"  post {r['post']} -> {r['person']:<4} at {due:%Y-%m-%d %H:%M} UTC"
          f"  (suggested X text: {x['length']} of {x['limit']})")
PY
"$herald" amplify status "$config" "$hiring" --json | grep -q '"requests_sent": [1-9]' || { echo "the hiring post was not amplified" >&2; exit 1; }

say "Mentions come in: influencers first, trolls never answered, a complaint answered from support"
h inbound import "$config" mentions.jsonl
h inbound list "$config"
h run "$config" --until-idle
reply=$("$herald" inbound list "$config" --json | python3 -c 'import json,sys; print(next(m["reply_post"] for m in json.load(sys.stdin) if m["reply_post"]))')
h status "$config" "$reply"
grep -q "Send us your order number" outbox/acme_support.jsonl || { echo "the reply was not published" >&2; exit 1; }
"$herald" inbound list "$config" --json | grep -q '"action": "block"' || { echo "the repeat troll was not blocked" >&2; exit 1; }

say "Counting text as each network does"
echo '{"text": "Caf\u00e9 #launch with @acmehelp.bsky.social: https://acme.example/news \ud83d\ude80"}' > count.jsonl
h text --network bluesky --json count.jsonl
h text --network x --json count.jsonl

say "Where every post ended up, and how it got there"
h status "$config"
h status "$config" --journey
say "The audit trail of the launch post"
h audit "$config" "$launch"

say "The audit trail is one hash chain: verify it, and export it for records retention"
h audit verify "$config"
h audit export "$config" --format csv --output audit.csv
head -3 audit.csv | cut -c1-150

say "The outbox"
for f in "$work"/outbox/*.jsonl; do echo "$(basename "$f"): $(wc -l < "$f") line(s)"; done
echo
echo "Outbox folder: $work/outbox"
