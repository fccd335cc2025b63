#!/usr/bin/env node
// Writes tests/data/twitter-text/x-url-cases.jsonl: texts made of the pieces URLs are made of (protocols,
// TLDs, dots, slashes, parentheses, letters of several scripts and cases, fullwidth and
// directional characters...) with the URLs twitter-text finds in each and what its parseTweet
// says of it. The tests XUrls.* compare Herald's URL matcher and weighted length with them.
// With --dense it writes x-url-dense-cases.jsonl instead: longer texts (up to 400 pieces) made
// mostly of short labels and dots (`a.a.a…`, `中.中.`, `1.1.`, `a-.`, `xn--`), the inputs whose
// many candidate domains once made the matcher quadratic.
//
//   NODE_PATH=build/npm-reference/node_modules node tests/bench/text/make-url-cases.js [--dense] [N]
//
// (scripts/bench-text.sh installs twitter-text into build/npm-reference.)
'use strict';
const fs = require('fs');
const path = require('path');
const twitter = require('twitter-text');

const dense = process.argv[2] === '--dense';
const count = Number(process.argv[dense ? 3 : 2] || (dense ? 800 : 4000));
let seed = dense ? 20261207 : 20261130;
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

// Short labels and the dots between them, with now and then a TLD, a protocol or a path.
const densePieces = ['a', 'a', 'b', '1', 'é', '中', 'я', 'a.', 'a.', 'a.', '.', '.', '.', 'a-',
  '-', '_', 'a_', 'com', 'co', 'jp', 'рф', 'xn--', 'xn--p1ai', 'http://', 'https://', '/', '(',
  ')', '?', '@', '#', '$', ' ', '。', '．', 'www.', 't.co/'];

const lines = [];
for (let i = 0; i < count; i++) {
  const set = dense ? densePieces : pieces;
  const length = 1 + Math.floor(next() * (dense ? 400 : 25));
  let text = '';
  for (let j = 0; j < length; j++) text += set[Math.floor(next() * set.length)];
  const urls = twitter.extractUrlsWithIndices(text).map((u) => [u.indices[0], u.indices[1], u.url]);
  const parsed = twitter.parseTweet(text);
  lines.push(JSON.stringify({ text, urls, weightedLength: parsed.weightedLength,
    valid: parsed.valid, permillage: parsed.permillage, validRangeEnd: parsed.validRangeEnd }));
}
const out = path.join(__dirname, '..', '..', 'data', 'twitter-text',
    dense ? 'x-url-dense-cases.jsonl' : 'x-url-cases.jsonl');
fs.writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${lines.length} texts to ${out}`);
