#!/usr/bin/env node
// Counts one mixed corpus with `herald text` and with the networks' reference JavaScript
// libraries (twitter-text for X, @atproto/api for Bluesky), then reports texts per second for
// each and how often they agree, field by field.
//
//   node text-bench.js --herald PATH [--texts N] [--runs R] [--corpus FILE] [--json FILE]
//
// The reference packages are resolved through NODE_PATH (scripts/bench-text.sh installs them).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error('usage: text-bench.js --herald PATH [--texts N] [--runs R] [--corpus FILE] [--json FILE]');
  process.exit(2);
}

const args = { texts: 20000, runs: 3 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const value = () => process.argv[++i] ?? usage(`${a} needs a value`);
  if (a === '--herald') args.herald = value();
  else if (a === '--texts') args.texts = Number(value());
  else if (a === '--runs') args.runs = Number(value());
  else if (a === '--corpus') args.corpus = value();
  else if (a === '--json') args.json = value();
  else if (a === '--help' || a === '-h') usage();
  else usage(`unknown argument ${a}`);
}
if (!args.herald) usage('--herald is required');
if (!(args.texts > 0) || !(args.runs > 0)) usage('--texts and --runs must be positive');

const twitter = require('twitter-text');
const { RichText } = require('@atproto/api');

// --- Corpus --------------------------------------------------------------------------------
// A seeded generator, so every run and every machine counts the same texts.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pieces = {
  words: ['We', 'are', 'launching', 'today', 'the', 'new', 'release', 'Nous', 'lançons',
    'aujourd’hui', 'Wir', 'starten', 'heute', 'Ми', 'запускаємо', 'сьогодні', 'Vi', 'lanserer',
    'i dag', 'Σήμερα', 'ξεκινάμε', 'Hoy', 'lanzamos', '今日', 'から', '新しい', '发布', 'مرحبا',
    'नमस्ते', 'Part I', 'iPhone', 'I/O', 'café', 'cafe\u0301', 'A\uFB2C', 'ok', '—', '…'],
  emoji: ['😀', '🚀', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍⚧️', '🇳🇴', '1️⃣', '1⃣', '✨', '❤️', '🏴󠁧󠁢󠁥󠁮󠁧󠁿', '🦋'],
  links: ['https://example.com', 'https://example.com/path?q=1&r=2#frag', 'http://foo.co.jp/x',
    'example.com', 'example.com/news', 'bsky.app', 't.co/abcde', 'foo.baz', 'e.g.',
    'file.jpg', 'website.com.jpg', 'https://foo.com/thing_(cool)', '(https://foo.com)',
    'https://socket3.wordpress.com/2018/02/03/designing-windows-95s-user-interface/',
    'HTTPS://EXAMPLE.COM', 'Example.COM', 'http://foobar.پاکستان/', 'https://münchen.de/x',
    'www.example.org', 'https://a.b', 'https://example.com.'],
  mentions: ['@alice', '@handle.com', '@team.bsky.social', '@alice@mastodon.social',
    '@user_name', '@jack/list', 'not@right', '@handle.com!', '(@paren.test)', '@UPPER.COM'],
  tags: ['#launch', '#日本語', '#1', '#1a', '#a_b', '＃full', '#with,punct', '#trail...',
    '#double#rainbow', '##️⃣tag', '#️⃣tag', '#🦋', '#a\u200Bb', '#Ünïcödé', '#'],
  cash: ['$AAPL', '$aapl', '$100', '$TOOLONG', '$GOOGL', '($GOOG)', '$ABC12', '$BTC.'],
  marks: ['\u200E', '\u202A', '\u2066', '\u00AD', '\u200B', '\u00A0', '\t', '\n', '\r\n',
    '\u3000', '!!!', '??', ',', '.', ';', ':', '(', ')', '"', "'"],
};
const kinds = Object.keys(pieces);

function makeText(next) {
  const long = next() < 0.1;
  const count = long ? 120 + Math.floor(next() * 400) : 3 + Math.floor(next() * 40);
  let text = '';
  for (let i = 0; i < count; i++) {
    const kind = next() < 0.55 ? 'words' : kinds[Math.floor(next() * kinds.length)];
    const list = pieces[kind];
    text += list[Math.floor(next() * list.length)];
    text += next() < 0.8 ? ' ' : '';
  }
  return text;
}

function makeCorpus(n) {
  const next = rng(20261122);
  const out = [];
  for (let i = 0; i < n; i++) out.push(makeText(next));
  return out;
}

// --- Reference results ---------------------------------------------------------------------
function referenceX(text) {
  const r = twitter.parseTweet(text);
  return { weightedLength: r.weightedLength, valid: r.valid, permillage: r.permillage,
    validRangeEnd: r.validRangeEnd };
}

function referenceBluesky(text) {
  const rt = new RichText({ text });
  rt.detectFacetsWithoutResolution();
  const facets = (rt.facets || []).map((f) => {
    const feature = f.features[0];
    const type = feature.$type.split('#')[1];
    const value = type === 'link' ? feature.uri : type === 'mention' ? feature.did : feature.tag;
    return { byteStart: f.index.byteStart, byteEnd: f.index.byteEnd, type, value };
  });
  return { graphemes: rt.graphemeLength, bytes: rt.length, facets };
}

const networks = {
  x: { reference: referenceX, library: 'twitter-text@3.1.0 parseTweet',
    fields: ['weightedLength', 'valid', 'permillage', 'validRangeEnd'] },
  bluesky: { reference: referenceBluesky,
    library: '@atproto/api@0.19.19 RichText.detectFacetsWithoutResolution',
    fields: ['graphemes', 'bytes', 'facets'] },
  mastodon: { reference: null, fields: [] },
  linkedin: { reference: null, fields: [] },
};

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeReference(fn, corpus, runs) {
  let results;
  const rates = [];
  const cpuRates = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    results = corpus.map(fn);
    const cpu = process.cpuUsage(cpuStart);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(corpus.length / seconds);
    cpuRates.push(corpus.length / ((cpu.user + cpu.system) / 1e6));
  }
  return { results, rate: median(rates), cpuRate: median(cpuRates) };
}

// One run of `herald text` over `file`, its results written to a file (as the reference's stay
// in memory: neither side pays for a pipe). Returns the seconds it took, the CPU seconds it used
// (user and system, from the shell's `times`), and what it printed.
function runHerald(network, file, jobs) {
  const outFile = path.join(os.tmpdir(), `herald-text-out-${process.pid}.jsonl`);
  const start = process.hrtime.bigint();
  const run = spawnSync('bash', ['-c', '"$0" text --network "$1" --json --jobs "$2" "$3" > "$4"; ' +
      'status=$?; times; exit $status', args.herald, network, String(jobs), file, outFile],
    { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.error) throw run.error;
  if (run.status !== 0) {
    console.error(run.stderr);
    throw new Error(`herald text --network ${network} exited with ${run.status}`);
  }
  // `times` prints the shell's user and system time, then its children's: "0m0.123s 0m0.010s".
  const children = run.stdout.trim().split('\n').pop().split(' ').map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return Number(m[1]) * 60 + Number(m[2]);
  });
  const printed = fs.readFileSync(outFile, 'utf8');
  fs.unlinkSync(outFile);
  return { seconds, cpuSeconds: children[0] + children[1], printed };
}

// The reference is timed over its loop only, after its module is loaded and its code warmed up
// by the runs before. Herald is timed as a whole process, and also without its start-up (loading
// the program and its libraries, reading the rules' data), which is measured on a one-line
// corpus and taken off: that rate is the one compared with the reference. Per CPU-second, Herald
// counts on one thread (`--jobs 1`) and both sides are charged the CPU time they used.
function timeHerald(network, corpusFile, oneLineFile, count, runs) {
  let lines;
  const whole = [];
  const startup = [];
  const cpu = [];
  const startupCpu = [];
  for (let r = 0; r < runs; r++) {
    const run = runHerald(network, corpusFile, os.cpus().length);
    whole.push(run.seconds);
    lines = run.printed.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
    startup.push(runHerald(network, oneLineFile, 1).seconds);
    cpu.push(runHerald(network, corpusFile, 1).cpuSeconds);
    startupCpu.push(runHerald(network, oneLineFile, 1).cpuSeconds);
  }
  if (lines.length !== count) throw new Error(`herald printed ${lines.length} lines for ${count} texts`);
  const seconds = median(whole);
  const start = median(startup);
  return { lines, rate: count / Math.max(seconds - start, 1e-9), wholeRate: count / seconds,
    startupSeconds: start,
    cpuRate: count / Math.max(median(cpu) - median(startupCpu), 1e-9) };
}

// Compares values as JSON, whatever order each side wrote an object's keys in.
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]));
  }
  return value;
}

function same(a, b) {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

// --- Run -----------------------------------------------------------------------------------
const corpus = makeCorpus(args.texts);
const corpusFile = args.corpus || path.join(os.tmpdir(), `herald-text-corpus-${process.pid}.jsonl`);
fs.writeFileSync(corpusFile, corpus.map((text) => JSON.stringify({ text })).join('\n') + '\n');

const oneLineFile = path.join(os.tmpdir(), `herald-text-one-${process.pid}.jsonl`);
fs.writeFileSync(oneLineFile, JSON.stringify({ text: corpus[0] }) + '\n');

const report = { texts: corpus.length, runs: args.runs, networks: {} };
for (const [network, spec] of Object.entries(networks)) {
  const herald = timeHerald(network, corpusFile, oneLineFile, corpus.length, args.runs);
  const entry = {
    heraldTextsPerSecond: Math.round(herald.rate),
    heraldWholeProcessTextsPerSecond: Math.round(herald.wholeRate),
    heraldStartupMs: Number((herald.startupSeconds * 1000).toFixed(1)),
    heraldTextsPerCpuSecond: Math.round(herald.cpuRate),
  };
  if (spec.reference) {
    const reference = timeReference(spec.reference, corpus, args.runs);
    let agree = 0;
    const disagreements = [];
    corpus.forEach((text, i) => {
      const want = reference.results[i];
      const got = herald.lines[i];
      const differing = spec.fields.filter((f) => !same(got[f], want[f]));
      if (differing.length === 0) agree++;
      else if (disagreements.length < 5) {
        disagreements.push({ text, fields: Object.fromEntries(differing.map((f) =>
          [f, { herald: got[f], reference: want[f] }])) });
      }
    });
    Object.assign(entry, {
      reference: spec.library,
      referenceTextsPerSecond: Math.round(reference.rate),
      referenceTextsPerCpuSecond: Math.round(reference.cpuRate),
      speedup: Number((herald.rate / reference.rate).toFixed(1)),
      cpuSpeedup: Number((herald.cpuRate / reference.cpuRate).toFixed(1)),
      wholeProcessSpeedup: Number((herald.wholeRate / reference.rate).toFixed(1)),
      agreement: agree / corpus.length,
      disagreements,
    });
  }
  report.networks[network] = entry;
}
if (!args.corpus) fs.unlinkSync(corpusFile);
fs.unlinkSync(oneLineFile);

console.log(`${corpus.length} texts; herald's rate without its start-up (whole process in ` +
  'brackets), the reference\'s over its loop');
for (const [network, e] of Object.entries(report.networks)) {
  let line = `${network.padEnd(9)} herald ${String(e.heraldTextsPerSecond).padStart(9)} texts/s` +
    ` (${String(e.heraldWholeProcessTextsPerSecond).padStart(7)}; start-up ${e.heraldStartupMs} ms)`;
  if (e.reference) {
    line += `   reference ${String(e.referenceTextsPerSecond).padStart(8)} texts/s` +
      `   ${e.speedup}x (${e.wholeProcessSpeedup}x), per CPU-second ${e.cpuSpeedup}x` +
      `   agreement ${(e.agreement * 100).toFixed(2)}%`;
  }
  console.log(line);
  for (const d of e.disagreements || []) console.log('  differs:', JSON.stringify(d));
}
if (args.json) fs.writeFileSync(args.json, JSON.stringify(report, null, 1) + '\n');
const perfect = Object.values(report.networks).every((e) => !e.reference || e.agreement === 1);
process.exit(perfect ? 0 : 1);
