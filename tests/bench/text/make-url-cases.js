#!/usr/bin/env node
// Writes tests/data/twitter-text/x-url-cases.jsonl: texts made of the pieces URLs are made of (protocols,
// TLDs, dots, slashes, parentheses, letters of several scripts and cases, fullwidth and
// directional characters...) with the URLs twitter-text finds in each and what its parseTweet
// says of it. The tests XUrls.* compare Herald's URL matcher and weighted length with them.
//
//   NODE_PATH=build/npm-reference/node_modules node tests/bench/text/make-url-cases.js [N]
//
// (scripts/bench-text.sh installs twitter-text into build/npm-reference.)
'use strict';
const fs = require('fs');
const path = require('path');
const twitter = require('twitter-text');

const count = Number(process.argv[2] || 4000);
let seed = 20261130;
function next() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const pieces = ['a', 'b', 'e', 'x', 'n', 'k', 's', 'z', 'A', 'K', 'S', '0', '1', '9', '.', '.',
  '.', '/', '/', ':', '-', '_', '(', ')', '?', '=', '&', '#', '@', '$', ' ', ' ', 'http://',
  'https://', 'HTTP://', 'www.', 'com', 'co', 'jp', 'org', 'de', 'xn--p1ai', 'xn--', 'рф', 'рус',
  'comcast', 'co.uk', 't.co/', 'example', 'foo', 'я', 'ж', 'é', 'ü', 'ß', '😀', '\u200e',
  '\u202a', '\ufeff', '＠', '＃', '\u212a', '\u017f', 'ι', '\u0345', '！', '。', '…', '"',
  '\u3002', '\uff0e', ',', ';', '!', '~', '|', '[', ']', '%', '+', "'", '*', '\u2013', '\n',
  '\u00a0', 'ı', 'İ', 'ﬁ', 'ǅ', '\u1e9e', 'münchen', 'پاکستان', 'ελ', 'δοκιμή', '中国', 'テスト'];

const lines = [];
for (let i = 0; i < count; i++) {
  const length = 1 + Math.floor(next() * 25);
  let text = '';
  for (let j = 0; j < length; j++) text += pieces[Math.floor(next() * pieces.length)];
  const urls = twitter.extractUrlsWithIndices(text).map((u) => [u.indices[0], u.indices[1], u.url]);
  const parsed = twitter.parseTweet(text);
  lines.push(JSON.stringify({ text, urls, weightedLength: parsed.weightedLength,
    valid: parsed.valid, permillage: parsed.permillage, validRangeEnd: parsed.validRangeEnd }));
}
const out = path.join(__dirname, '..', '..', 'data', 'twitter-text', 'x-url-cases.jsonl');
fs.writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${lines.length} texts to ${out}`);
