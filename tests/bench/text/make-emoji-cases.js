#!/usr/bin/env node
// Writes tests/data/twitter-text/emoji-cases.jsonl: what twitter-text's parseTweet says of texts
// that end in an emoji (`pad` letters 'a', then `emoji`), for the tests XEmoji.*:
//   - "skin-tone": each of the ten emoji whose twemoji pattern takes a skin tone with or
//     without U+FE0F (☝ ⛷ ⛹ ✌ ✍ 🏋 🏌 🕴 🕵 🖐) followed by each of the five tones, both ways,
//     after 278 letters (so one weight of 2 is valid and 4 is not) and alone;
//   - "table": every sequence of host/src/text/data/twemoji-sequences.txt after 278 letters.
//
//   NODE_PATH=build/npm-reference/node_modules node tests/bench/text/make-emoji-cases.js
//
// (scripts/bench-text.sh installs twitter-text into build/npm-reference.)
'use strict';
const fs = require('fs');
const path = require('path');
const twitter = require('twitter-text');
const version = require('twitter-text/package.json').version;
if (version !== '3.1.0') throw new Error(`twitter-text ${version}: the cases are for 3.1.0`);

const root = path.join(__dirname, '..', '..', '..');
const lines = [];
// The text is `pad` letters 'a', then `emoji`.
function record(kind, pad, emoji) {
  const r = twitter.parseTweet('a'.repeat(pad) + emoji);
  lines.push(JSON.stringify({ kind, pad, emoji, weightedLength: r.weightedLength, valid: r.valid,
    permillage: r.permillage, validRangeEnd: r.validRangeEnd }));
}

const bases = [0x261D, 0x26F7, 0x26F9, 0x270C, 0x270D, 0x1F3CB, 0x1F3CC, 0x1F574, 0x1F575, 0x1F590];
const tones = [0x1F3FB, 0x1F3FC, 0x1F3FD, 0x1F3FE, 0x1F3FF];
for (const base of bases) {
  for (const tone of tones) {
    for (const selector of ['', '\ufe0f']) {
      const emoji = String.fromCodePoint(base) + selector + String.fromCodePoint(tone);
      record('skin-tone', 278, emoji);
      record('skin-tone', 0, emoji);
    }
  }
}

const table = fs.readFileSync(path.join(root, 'host', 'src', 'text', 'data', 'twemoji-sequences.txt'),
    'utf8');
for (const line of table.split('\n')) {
  if (line === '' || line.startsWith('#')) continue;
  record('table', 278, String.fromCodePoint(...line.split(' ').map((h) => parseInt(h, 16))));
}

const out = path.join(root, 'tests', 'data', 'twitter-text', 'emoji-cases.jsonl');
fs.writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${lines.length} texts to ${out}`);
