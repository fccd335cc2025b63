// One end-to-end run of a six-stage BullMQ pipeline, the counterpart of Herald's six-step
// workflow: draft, approve, legal_review, schedule, publish and amplify are six queues, each with
// a worker that does its stage's (small) work and adds the job to the next queue. The publish
// stage appends the post as one JSON line to a file and fsyncs it before the job completes.
// Timed from the first enqueue (one addBulk of every post) to the last job done at amplify.
//
//   node bullmq_pipeline.js --port PORT --out FILE [--posts N] [--concurrency C]
//
// Needs a Redis on 127.0.0.1:PORT (NODE_PATH pointing at the installed bullmq). Prints one
// JSON line: posts, seconds, posts_per_s, enqueue_s.
'use strict';
const fs = require('fs');
const { Queue, Worker } = require('bullmq');

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at >= 0 && at + 1 < process.argv.length) return process.argv[at + 1];
  if (fallback === undefined) {
    console.error(`bullmq_pipeline.js: --${name} is required`);
    process.exit(2);
  }
  return fallback;
}

const port = Number(option('port'));
const out = option('out');
const posts = Number(option('posts', '2000'));
const concurrency = Number(option('concurrency', '1'));
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };

const stages = ['draft', 'approve', 'legal_review', 'schedule', 'publish', 'amplify'];
const forbidden = ['free', 'cheap'];
const legalWords = ['forecast'];
const outFd = fs.openSync(out, 'a');

// Each stage's own work, as small as Herald's built-in steps do on these posts.
const work = {
  draft: (data) => ({ ...data, draft_ok: !forbidden.some((w) => data.text.includes(w)) }),
  approve: (data) => ({ ...data, approved_by: 'mo' }),
  legal_review: (data) => ({ ...data, legal_findings: legalWords.filter((w) => data.text.includes(w)) }),
  schedule: (data) => ({ ...data, publish_at: Date.now() }),
  publish: (data) => {
    fs.writeSync(outFd, JSON.stringify({ post: data.post, account: data.account, text: data.text }) + '\n');
    fs.fsyncSync(outFd);
    return { ...data, published_at: Date.now() };
  },
  amplify: (data) => ({ ...data, share_requests: 0 }),
};

async function main() {
  const queues = stages.map((name) => new Queue(name, { connection }));
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  const failures = [];
  const workers = stages.map((name, i) => {
    const worker = new Worker(
      name,
      async (job) => {
        const data = work[name](job.data);
        if (i + 1 < stages.length) await queues[i + 1].add(stages[i + 1], data);
        return null;
      },
      { connection, concurrency, autorun: false },
    );
    worker.on('failed', (job, error) => {
      failures.push(`${name} ${job && job.id}: ${error && error.message}`);
      finish();
    });
    worker.on('error', (error) => {
      failures.push(`${name}: ${error && error.message}`);
      finish();
    });
    if (name === 'amplify')
      worker.on('completed', () => {
        if (++done === posts) finish();
      });
    return worker;
  });
  await Promise.all(queues.map((q) => q.waitUntilReady()));
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  for (const w of workers) w.run().catch((error) => { failures.push(String(error)); finish(); });

  const jobs = [];
  for (let i = 0; i < posts; ++i)
    jobs.push({ name: 'draft', data: { post: i + 1, account: 'corp', author: 'ana', text: `Post number ${i}` } });
  const start = process.hrtime.bigint();
  await queues[0].addBulk(jobs);
  const enqueued = process.hrtime.bigint();
  await finished;
  const end = process.hrtime.bigint();
  const seconds = Number(end - start) / 1e9;

  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(queues.map((q) => q.close()));
  fs.closeSync(outFd);
  console.log(JSON.stringify({
    side: 'bullmq', posts, seconds: Number(seconds.toFixed(4)),
    posts_per_s: Number((posts / seconds).toFixed(1)),
    enqueue_s: Number((Number(enqueued - start) / 1e9).toFixed(4)),
    concurrency, done, failures,
  }));
  process.exit(failures.length || done !== posts ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
