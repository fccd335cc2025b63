// Writes tests/data/unicode-17/grapheme-sweep.json: grapheme boundaries of generated texts as
// Intl.Segmenter gives them (the way @atproto/api counts a Bluesky post) with Unicode 17.0.
//
//   node scripts/generate-grapheme-sweep.js
//
// The texts: for every script with a conjunct linker (Indic_Conjunct_Break=Linker) in Unicode
// 17, consonant + linker + consonant with marks, ZWJ and vowel signs between, and seeded random
// strings from the script's letters and marks; emoji ZWJ sequences, flags, Hangul, CR LF, lone
// surrogates; and every line of GraphemeBreakTest.json. Node's own Unicode data (its ICU) picks
// the letters and marks; only the answers matter, so the same seed gives the same file.
'use strict';
const fs = require('fs');
const path = require('path');

if (process.versions.unicode !== '17.0') {
  console.error(`needs a Node whose ICU has Unicode 17.0, not ${process.versions.unicode}` +
                ` (ICU ${process.versions.icu})`);
  process.exit(1);
}
const data = path.join(__dirname, '..', 'tests', 'data', 'unicode-17');
const segmenter = new Intl.Segmenter('und', {granularity: 'grapheme'});

// mulberry32: small, seeded, the same everywhere.
function random(seed) {
  return () => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const next = random(17);
const pick = (list) => list[Math.floor(next() * list.length)];

const entries = [];
const seen = new Set();
function add(kind, codePoints) {
  const text = codePoints.map((cp) => String.fromCharCode(...(cp > 0xFFFF
    ? [0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF)] : [cp]))).join('');
  const key = kind + ':' + codePoints.join(',');
  if (seen.has(key)) return;
  seen.add(key);
  const boundaries = [...segmenter.segment(text)].map((s) => s.index);
  boundaries.push(text.length);
  entries.push({kind, text: codePoints, count: boundaries.length - 1, boundaries});
}

// The linkers of Unicode 17 (DerivedCoreProperties.txt, InCB=Linker): one script each.
const linkers = [0x094D, 0x09CD, 0x0ACD, 0x0B4D, 0x0C4D, 0x0D4D, 0x1039, 0x17D2, 0x1A60, 0x1B44,
  0x1BAB, 0xA9C0, 0xAAF6, 0x10A3F, 0x11133, 0x113D0, 0x1193E, 0x11A47, 0x11A99, 0x11F42];
const scriptOf = (cp) => {
  for (const name of Object.keys(scripts)) if (scripts[name].re.test(String.fromCodePoint(cp))) return name;
  return null;
};
const scripts = {};
for (const name of ['Devanagari', 'Bengali', 'Gujarati', 'Oriya', 'Telugu', 'Malayalam', 'Myanmar',
  'Khmer', 'Tai_Tham', 'Balinese', 'Sundanese', 'Javanese', 'Meetei_Mayek', 'Kharoshthi', 'Chakma',
  'Tulu_Tigalari', 'Dives_Akuru', 'Zanabazar_Square', 'Soyombo', 'Kawi']) {
  scripts[name] = {re: new RegExp(`\\p{Script=${name}}`, 'u'), letters: [], marks: [], spacing: []};
}
for (let cp = 0x900; cp < 0x20000; ++cp) {
  if (cp === 0xD800) cp = 0xE000;
  const ch = String.fromCodePoint(cp);
  const name = scriptOf(cp);
  if (!name) continue;
  if (/\p{Lo}/u.test(ch)) scripts[name].letters.push(cp);
  else if (/\p{Mn}/u.test(ch)) scripts[name].marks.push(cp);
  else if (/\p{Mc}/u.test(ch)) scripts[name].spacing.push(cp);
}
const ZWJ = 0x200D, ZWNJ = 0x200C;
// The scripts whose conjuncts changed Bluesky's counts get more random strings.
const named = new Set(['Devanagari', 'Bengali', 'Gujarati', 'Oriya', 'Telugu', 'Malayalam', 'Khmer',
  'Myanmar', 'Balinese', 'Javanese', 'Tai_Tham', 'Chakma']);
for (const linker of linkers) {
  const name = scriptOf(linker);
  if (!name) throw new Error(`no script for U+${linker.toString(16)}`);
  const {letters, marks, spacing} = scripts[name];
  const kind = `conjunct-${name}`;
  const consonants = letters.slice(0, 16);
  for (const first of consonants) {
    const second = pick(letters);
    add(kind, [first, linker, second]);
    add(kind, [first, linker, ZWJ, second]);
    add(kind, [first, ZWJ, linker, second]);
    add(kind, [first, linker, ZWNJ, second]);
    add(kind, [first, pick(marks), linker, second]);
    add(kind, [first, linker, pick(marks), second]);
    add(kind, [first, linker, linker, second]);
    add(kind, [first, linker, second, linker, pick(letters)]);
    if (spacing.length) add(kind, [first, pick(spacing), linker, second]);
    add(kind, [first, linker, second, pick(marks), pick(spacing.length ? spacing : marks)]);
    add(kind, [first, linker]);
    add(kind, [linker, second]);
    add(kind, [0x61, linker, second]);
  }
  const alphabet = [...letters, ...marks, ...spacing];
  for (let i = 0; i < (named.has(name) ? 200 : 100); ++i) {
    const text = [];
    const length = 2 + Math.floor(next() * 11);
    for (let j = 0; j < length; ++j) {
      const r = next();
      text.push(r < 0.25 ? linker : r < 0.3 ? ZWJ : r < 0.32 ? ZWNJ : pick(alphabet));
    }
    add(`random-${name}`, text);
  }
}

// Real words with stacked consonants.
add('text-Khmer', [...'ខ្ញុំស្រឡាញ់ភាសាខ្មែរ'].map((c) => c.codePointAt(0)));
add('text-Myanmar', [...'မင်္ဂလာပါ သက္ကရာဇ် ဗုဒ္ဓ'].map((c) => c.codePointAt(0)));
add('text-Devanagari', [...'क्षत्रिय संस्कृत'].map((c) => c.codePointAt(0)));

const emoji = [
  [0x1F468, ZWJ, 0x1F469, ZWJ, 0x1F467, ZWJ, 0x1F466],
  [0x1F469, 0x200D, 0x2764, 0xFE0F, ZWJ, 0x1F48B, ZWJ, 0x1F468],
  [0x1F44D, 0x1F3FD], [0x1F3F3, 0xFE0F, ZWJ, 0x1F308], [0x1F9D1, 0x1F3FF, ZWJ, 0x1F91D, ZWJ, 0x1F9D1, 0x1F3FB],
  [0x1F415, ZWJ, 0x1F9BA], [0x2764, ZWJ, 0x1F525], [0x0031, 0xFE0F, 0x20E3], [0x1F3F4, 0xE0067, 0xE0062,
    0xE0073, 0xE0063, 0xE0074, 0xE007F], [0x1F468, ZWJ], [ZWJ, 0x1F468], [0x1F468, ZWJ, ZWJ, 0x1F469],
  [0x61, ZWJ, 0x1F468], [0x1F468, 0x0308, ZWJ, 0x1F469], [0x2701, ZWJ, 0x2701], [0x00A9, ZWJ, 0x00A9],
];
for (const e of emoji) add('emoji', e);
const flags = [0x1F1FA, 0x1F1F8, 0x1F1EB, 0x1F1F7, 0x1F1EF, 0x1F1F5];
for (let n = 1; n <= 7; ++n) add('flags', Array.from({length: n}, (_, i) => flags[i % flags.length]));
add('flags', [0x61, 0x1F1FA, 0x1F1F8, 0x1F1EB]);
add('flags', [0x1F1FA, 0x0308, 0x1F1F8]);
add('flags', [0x1F1FA, ZWJ, 0x1F1F8, 0x1F1EB]);
const hangul = [0x1100, 0x1161, 0x11A8, 0xAC00, 0xAC01, 0x1160, 0x11FF, 0xD7B0, 0xD7CB, 0xA960];
for (let i = 0; i < 150; ++i)
  add('hangul', Array.from({length: 2 + Math.floor(next() * 5)}, () => pick(hangul)));
add('hangul', [...'한국어 텍스트'].map((c) => c.codePointAt(0)));
for (const t of [[0x0D, 0x0A], [0x0D, 0x0D, 0x0A], [0x0A, 0x0D], [0x0D, 0x0A, 0x0308],
  [0x61, 0x0D, 0x0A, 0x62], [0x0D, 0x0308], [0x0600, 0x0D], [0x0600, 0x61, 0x0308]]) add('controls', t);
for (const t of [[0xD800], [0xDC00], [0xDC00, 0xD800], [0xD800, 0x0308], [0x61, 0xDC00, 0x0308],
  [0xD83D, 0x61], [0x0600, 0xD800], [0xD800, 0x0903], [0x0915, 0x094D, 0xD800], [0xD800, ZWJ, 0x1F468],
  [0x1F1FA, 0xD800, 0x1F1F8]]) add('surrogates', t);

// The conformance lines, answered by the reference with Unicode 17.0's properties.
const conformance = JSON.parse(fs.readFileSync(path.join(data, 'GraphemeBreakTest.json')));
for (const line of conformance.GraphemeBreakTest)
  add('GraphemeBreakTest', line.split(/\s+/).filter((t) => /^[0-9A-F]+$/.test(t)).map((t) => parseInt(t, 16)));

const body = entries.map((e) => '    ' + JSON.stringify(e)).join(',\n');
fs.writeFileSync(path.join(data, 'grapheme-sweep.json'),
  `{\n  "generator": "scripts/generate-grapheme-sweep.js",\n  "reference": ` +
  `${JSON.stringify(`Intl.Segmenter (grapheme), Node ${process.version}, ICU ` +
    `${process.versions.icu}, Unicode ${process.versions.unicode}`)},\n  "entries": [\n${body}\n  ]\n}\n`);
console.log(`${entries.length} entries`);
