#!/usr/bin/env node
// Time to first frame (TTFF) for a WHEP viewer joining a running stream, headless Chromium on
// loopback.
//
// One Chromium page publishes the fake camera + microphone with WHIP. Then, R times per mode,
// a viewer POSTs a WHEP offer and we time from just before the POST to the first decoded frame
// presented in a <video> (requestVideoFrameCallback's presentationTime; a getStats poll of
// framesDecoded every 5 ms is reported beside it). Modes:
//   page: a fresh page (own browser context) per run: a new viewer arriving;
//   pc:   a fresh RTCPeerConnection in one long-lived page: a viewer re-joining.
// Each run is broken down into POST->201, ->ICE connected, ->DTLS connected (the DTLS
// transport's statechange) and ->first frame, and the publisher's PLI and keyframe counters
// show whether the server asked for a keyframe on each join (Chromium's encoder sends one only
// when asked, so without a PLI a viewer waits for the next one, which may never come).
//
//   node bench/ttff_chromium.js --server http://127.0.0.1:8080 --runs 10 --json ttff.json
//
// Needs tests/interop's node_modules (cd tests/interop && npm ci). Prints a Markdown table to
// stderr and the JSON report to stdout; exit 0 when every run produced a frame.
'use strict';

const fs = require('fs');
const path = require('path');
const h = require(path.join(__dirname, '..', 'tests', 'interop', 'whip_chromium.js'));

const DEFAULT_RUNS = 10;
const DEFAULT_TIMEOUT_S = 240;
const FIRST_FRAME_TIMEOUT_MS = 10000;
const PUBLISHER_SETTLE_MS = 1000;  // let the publisher's encoder ramp up before the first join
const BETWEEN_RUNS_MS = 300;       // let the previous viewer's teardown finish
const PHASES = ['post_to_201', '201_to_ice', 'ice_to_dtls', 'dtls_to_first_frame'];

function percentile(values, p) {
  const v = values.filter(x => x !== null && x !== undefined).sort((a, b) => a - b);
  if (!v.length) return null;
  return v[Math.max(0, Math.ceil((p / 100) * v.length) - 1)];  // nearest rank
}

function summarize(runs) {
  const pick = key => runs.map(r => r[key]);
  const s = {runs: runs.length, frames: runs.filter(r => r.ttff_ms !== null).length};
  for (const key of ['ttff_ms', 'ttff_stats_ms', ...PHASES]) {
    const values = pick(key);
    s[key] = {
      median: percentile(values, 50),
      p90: percentile(values, 90),
      max: percentile(values, 100)
    };
  }
  s.plis_per_join = {
    median: percentile(pick('publisher_plis'), 50),
    max: percentile(pick('publisher_plis'), 100)
  };
  s.keyframes_per_join = {
    median: percentile(pick('publisher_keyframes'), 50),
    max: percentile(pick('publisher_keyframes'), 100)
  };
  return s;
}

const round = x => (x === null || x === undefined ? null : Math.round(x * 10) / 10);

function toRun(t, pubBefore, pubAfter) {
  const d = (a, b) => (t[a] !== null && t[b] !== null ? round(t[b] - t[a]) : null);
  return {
    ttff_ms: t.firstFrame,
    ttff_stats_ms: t.firstDecodedStats,
    post_to_201: t.created,
    '201_to_ice': d('created', 'ice'),
    ice_to_dtls: d('ice', 'dtls'),
    dtls_to_first_frame: d('dtls', 'firstFrame'),
    first_frame_received_ms: t.firstFrameReceived,
    publisher_plis: pubAfter.pliCount - pubBefore.pliCount,
    publisher_keyframes: pubAfter.keyFramesEncoded - pubBefore.keyFramesEncoded,
  };
}

async function oneRun(page, whep, token) {
  const index = await page.evaluate((u, t) => window.__sy.watch(u, t), whep, token).catch(e => {
    throw new Error(h.pageError(e));
  });
  const ok = await page.evaluate(
      (ix, ms) => window.__sy.waitFirstFrame(ix, ms), index, FIRST_FRAME_TIMEOUT_MS);
  // The stats poll may land a few ms after the frame; give it a moment.
  await h.sleep(50);
  const t = await page.evaluate(ix => window.__sy.timings(ix), index);
  const loc = await page.evaluate(ix => window.__sy.viewers[ix].location, index);
  const del = await page.evaluate((l, tk) => window.__sy.deleteSession(l, tk), loc, token);
  await page.evaluate(ix => window.__sy.closeViewer(ix), index);
  return {ok, t, deleteStatus: del.status};
}

async function main() {
  let opts;
  try {
    opts = h.parseArgs(process.argv.slice(2), {
      server: '',
      stream: 'ttff-bench',
      runs: DEFAULT_RUNS,
      json: '',
      token: '',
      modes: 'page,pc',
      timeout: DEFAULT_TIMEOUT_S,
    });
    if (!opts.server) throw new Error('--server is required (e.g. http://127.0.0.1:8080)');
    if (!(opts.runs >= 1)) throw new Error('--runs must be at least 1');
    for (const m of opts.modes.split(','))
      if (!['page', 'pc'].includes(m)) throw new Error(`unknown mode ${m}`);
  } catch (e) {
    console.error(`ttff_chromium: ${e.message}`);
    process.exit(2);
  }
  const origin = new URL(opts.server).origin;
  const stream = encodeURIComponent(opts.stream);
  const report = {
    bench: 'ttff_chromium',
    server: opts.server,
    stream: opts.stream,
    runs_per_mode: opts.runs,
    measured_on: 'loopback, headless Chromium, fake camera',
    method: 'ms from just before the WHEP POST; first frame = requestVideoFrameCallback ' +
        'presentationTime (ttff_stats_ms: getStats framesDecoded > 0, polled every 5 ms)',
    errors: [],
    console: [],
    modes: {},
  };
  const state = {stage: 'starting', close: null};
  const finish = code => {
    const text = JSON.stringify(report, null, 2);
    console.log(text);
    if (opts.json) fs.writeFileSync(opts.json, text + '\n');
    for (const line of report.markdown || []) console.error(line);
    for (const e of report.errors) console.error('FAIL: ' + e);
    process.exit(code);
  };
  const hard = setTimeout(async () => {
    report.errors.push(`hard timeout after ${opts.timeout} s while ${state.stage}`);
    if (state.close) await Promise.race([state.close(), h.sleep(8000)]);
    finish(3);
  }, opts.timeout * 1000);

  try {
    state.stage = 'launching Chromium';
    const {browser, close} = await h.launchBrowser();
    state.close = close;
    state.stage = 'publishing (WHIP POST)';
    const pub = await h.openPage(browser, origin, report.console, 'publisher');
    report.publisher =
        await pub.page
            .evaluate((u, t) => window.__sy.publish(u, t), `${origin}/whip/${stream}`, opts.token)
            .catch(e => {
              throw new Error(h.pageError(e));
            });
    state.publisher = {page: pub.page, location: report.publisher.location};
    await h.sleep(PUBLISHER_SETTLE_MS);
    const pubStats = () => pub.page.evaluate(() => window.__sy.publisherStats());

    const whep = `${origin}/whep/${stream}`;
    for (const mode of opts.modes.split(',')) {
      const runs = [];
      let shared = null;
      if (mode === 'pc') shared = await h.openPage(browser, origin, report.console, 'viewer');
      for (let r = 0; r < opts.runs; r++) {
        state.stage = `mode ${mode}, run ${r + 1}`;
        const viewer = shared || await h.openPage(browser, origin, report.console, `viewer ${r}`);
        const before = await pubStats();
        const {ok, t, deleteStatus} = await oneRun(viewer.page, whep, opts.token);
        const after = await pubStats();
        if (!shared) await viewer.context.close();
        const run = toRun(t, before, after);
        runs.push(run);
        if (!ok)
          report.errors.push(
              `mode ${mode} run ${r + 1}: no frame within ${FIRST_FRAME_TIMEOUT_MS} ms`);
        if (deleteStatus !== 200 && deleteStatus !== 204) {
          report.errors.push(`mode ${mode} run ${r + 1}: viewer DELETE -> HTTP ${deleteStatus}`);
        }
        await h.sleep(BETWEEN_RUNS_MS);
      }
      if (shared) await shared.context.close();
      report.modes[mode] = {summary: summarize(runs), runs};
    }
    report.publisher.stats = await pubStats();

    state.stage = 'deleting the publisher';
    const del = await pub.page.evaluate(
        (l, t) => window.__sy.deleteSession(l, t), report.publisher.location, opts.token);
    state.publisher = null;
    if (del.status !== 200 && del.status !== 204)
      report.errors.push(`publisher DELETE -> HTTP ${del.status}`);
  } catch (e) {
    report.errors.push(`while ${state.stage}: ${h.pageError(e)}`);
  }
  clearTimeout(hard);
  if (state.publisher) {
    await h
        .withTimeout(
            state.publisher.page.evaluate(
                (l, t) => window.__sy.deleteSession(l, t), state.publisher.location, opts.token),
            3000, 'DELETE')
        .catch(() => {});
  }
  if (state.close) await state.close();

  const fmt = x => (x === null || x === undefined ? '-' : `${Math.round(x)}`);
  report.markdown = [
    '| viewer | runs | TTFF median | p90 | max | POST→201 | →ICE | →DTLS | →first frame ' +
        '| PLIs/join |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [mode, {summary: s}] of Object.entries(report.modes)) {
    const name = mode === 'page' ? 'fresh page' : 'fresh RTCPeerConnection';
    report.markdown.push(
        `| ${name} | ${s.frames}/${s.runs} | ` +
        `${fmt(s.ttff_ms.median)} ms | ${fmt(s.ttff_ms.p90)} ms | ${fmt(s.ttff_ms.max)} ms | ` +
        PHASES.map(p => `${fmt(s[p].median)} ms`).join(' | ') +
        ` | ${fmt(s.plis_per_join.median)} |`);
  }
  report.passed = report.errors.length === 0;
  finish(report.passed ? 0 : 1);
}

main();
