#!/usr/bin/env node
// WHIP publish + WHEP playback through Switchyard with headless Chromium (puppeteer-core).
//
// One page publishes the fake camera and microphone with WHIP; two pages watch with WHEP. Both
// viewers must decode a growing number of video frames that are not black (the fake camera is
// green with moving marks) and receive audio. Then the publisher's session is deleted (its
// RTCPeerConnection keeps sending) and the viewers' framesDecoded and audio packetsReceived
// must stop growing. After the viewers' DELETEs, GET /api/workers must show that the worker
// freed every router. Last, the demo page at / is driven through its controls (#stream,
// #publish, #watch, #remote, ...), and the workers are checked again once it stopped.
//
//   node whip_chromium.js --server http://127.0.0.1:8080 --stream test --json out.json
//
// Prints a JSON report; exit 0 only when every check passed, 1 when one failed, 2 on bad
// usage, 3 on the hard timeout. The helpers are exported for bench/ttff_chromium.js.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

const CHROMIUM = '/usr/bin/chromium';
// From /work/shared/clients.md; --allow-loopback-in-peer-connection is what makes ICE start.
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--disable-dev-shm-usage',
  '--mute-audio',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

const DEFAULT_TIMEOUT_S = 90;
const DEFAULT_WATCH_S = 4;
const FIRST_FRAME_TIMEOUT_MS = 10000;
const VIEWERS = 2;
const CONNECT_TIMEOUT_MS = 10000;
const MIN_DECODE_FPS = 10;     // framesDecoded growth while watching, per second (fake camera: 20)
const STOP_GRACE_MS = 3000;    // after the publisher's DELETE frames may still arrive this long
const STOP_OBSERVE_MS = 5000;  // how long framesDecoded is polled after the DELETE
const STOP_POLL_MS = 100;
const MIN_BRIGHT_FRACTION = 0.5;  // sampled pixels brighter than black (fake camera: all green)
const MIN_GREEN_FRACTION = 0.3;   // sampled pixels that are clearly green
const DEMO_STEP_TIMEOUT_MS = 15000;
const WORKERS_SETTLE_MS = 3000;  // how long /api/workers is polled for the routers to go
const WORKERS_POLL_MS = 50;

// ---------------------------------------------------------------------------------------------
// Browser-side helpers, installed in every page as window.__sy (serialised with toString, so
// they must not use anything from Node).
function pageHelpers(connectTimeoutMs) {
  const auth = token => (token ? {Authorization: 'Bearer ' + token} : {});
  const now = () => performance.now();

  async function postOffer(url, sdp, token) {
    const res = await fetch(url, {
      method: 'POST',
      headers: {'Content-Type': 'application/sdp', ...auth(token)},
      body: sdp,
    });
    const body = await res.text();
    if (res.status !== 201) {
      const excerpt = JSON.stringify(body.slice(0, 500));
      throw new Error(`POST ${url} -> HTTP ${res.status}, expected 201; body: ${excerpt}`);
    }
    const loc = res.headers.get('Location');
    if (!loc) throw new Error(`POST ${url} -> 201 without a Location header`);
    const ctype = (res.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
    if (ctype !== 'application/sdp')
      throw new Error(`POST ${url} -> 201 with Content-Type ${ctype}`);
    return {location: new URL(loc, url).href, etag: res.headers.get('ETag'), answer: body};
  }

  function waitConnected(pc, what) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (pc.connectionState === 'connected') {
          clearTimeout(timer);
          resolve(now());
        }
        if (pc.connectionState === 'failed' || pc.connectionState === 'closed') {
          clearTimeout(timer);
          reject(new Error(
              `${what}: peer connection ${pc.connectionState} (ICE ${pc.iceConnectionState})`));
        }
      };
      const timer = setTimeout(() => {
        const states = `connection ${pc.connectionState}, ICE ${pc.iceConnectionState}`;
        reject(new Error(`${what}: not connected after ${connectTimeoutMs / 1000} s (${states})`));
      }, connectTimeoutMs);
      pc.addEventListener('connectionstatechange', check);
      check();
    });
  }

  async function inbound(pc) {
    const out = {video: null, audio: null, transport: null, senderReports: {}};
    (await pc.getStats()).forEach(s => {
      if (s.type === 'inbound-rtp') out[s.kind] = s;
      if (s.type === 'transport') out.transport = s;
      // Made from the RTCP sender reports the server sends for each consumer.
      if (s.type === 'remote-outbound-rtp') out.senderReports[s.kind] = s;
    });
    return out;
  }

  const sy = {
    publisher: null,
    viewers: [],

    async publish(url, token) {
      const media = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
      const pc = new RTCPeerConnection();
      for (const t of media.getTracks()) pc.addTransceiver(t, {direction: 'sendonly'});
      await pc.setLocalDescription(await pc.createOffer());
      const t0 = now();
      const {location, etag, answer} = await postOffer(url, pc.localDescription.sdp, token);
      const t201 = now();
      sy.publisher = {pc, media, location};
      await pc.setRemoteDescription({type: 'answer', sdp: answer});
      const tConnected = await waitConnected(pc, 'publisher');
      return {location, etag, postMs: t201 - t0, connectedMs: tConnected - t0};
    },

    // Starts a WHEP viewer; times every step from just before the POST. Returns its index.
    async watch(url, token) {
      const pc = new RTCPeerConnection();
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      video.width = 320;
      document.body.appendChild(video);
      const v = {pc, video, location: null, t: {}, firstFrame: null};
      const index = sy.viewers.push(v) - 1;
      const media = new MediaStream();
      pc.ontrack = e => {
        media.addTrack(e.track);
        if (e.track.kind !== 'video') return;
        video.srcObject = media;
        // rVFC fires when a decoded frame is presented: the first one ends the TTFF clock.
        video.requestVideoFrameCallback((cbNow, meta) => {
          v.t.firstFrame = meta.presentationTime;
          v.t.firstFrameCallback = cbNow;
          if (meta.receiveTime) v.t.firstFrameReceived = meta.receiveTime;
          v.firstFrame = {width: meta.width, height: meta.height};
        });
      };
      pc.addEventListener('iceconnectionstatechange', () => {
        if (pc.iceConnectionState === 'connected' && !v.t.ice) v.t.ice = now();
      });
      pc.addTransceiver('audio', {direction: 'recvonly'});
      pc.addTransceiver('video', {direction: 'recvonly'});
      await pc.setLocalDescription(await pc.createOffer());
      v.t.post = now();
      const {location, etag, answer} = await postOffer(url, pc.localDescription.sdp, token);
      v.t.created = now();
      v.location = location;
      v.etag = etag;
      await pc.setRemoteDescription({type: 'answer', sdp: answer});
      // The DTLS transport exists now; its statechange gives the handshake's end.
      const dtls = pc.getTransceivers()[0].receiver.transport;
      const onDtls = () => {
        if (dtls.state === 'connected' && !v.t.dtls) v.t.dtls = now();
      };
      dtls.addEventListener('statechange', onDtls);
      onDtls();
      // getStats polling as a second first-frame clock (rVFC needs the compositor).
      (async () => {
        while (!v.t.firstDecodedStats && pc.connectionState !== 'closed') {
          const s = await inbound(pc);
          if (s.video && s.video.framesDecoded > 0)
            v.t.firstDecodedStats = now();
          else
            await new Promise(r => setTimeout(r, 5));
        }
      })().catch(e => {
        v.statsPollError = String(e);
      });
      await waitConnected(pc, 'viewer ' + index);
      return index;
    },

    // Milliseconds from just before the POST to each step; null for steps not reached yet.
    timings(index) {
      const t = sy.viewers[index].t;
      const rel = x => (x === undefined ? null : Math.round((x - t.post) * 10) / 10);
      return {
        created: rel(t.created),
        ice: rel(t.ice),
        dtls: rel(t.dtls),
        firstFrame: rel(t.firstFrame),
        firstFrameReceived: rel(t.firstFrameReceived),
        firstDecodedStats: rel(t.firstDecodedStats),
        statsPollError: sy.viewers[index].statsPollError || null,
      };
    },

    async waitFirstFrame(index, timeoutMs) {
      const v = sy.viewers[index];
      const end = now() + timeoutMs;
      while (now() < end) {
        if (v.t.firstFrame !== undefined) return true;
        await new Promise(r => setTimeout(r, 5));
      }
      return false;
    },

    async viewerStats(index) {
      const s = await inbound(sy.viewers[index].pc);
      const pick = (o, keys) => (o ? Object.fromEntries(keys.map(k => [k, o[k] ?? null])) : null);
      return {
        video: pick(
            s.video,
            [
              'framesDecoded', 'keyFramesDecoded', 'frameWidth', 'frameHeight', 'framesDropped',
              'freezeCount', 'totalFreezesDuration', 'packetsLost', 'nackCount', 'pliCount',
              'firCount', 'decoderImplementation'
            ]),
        audio: pick(s.audio, ['packetsReceived', 'totalAudioEnergy', 'totalSamplesReceived']),
        dtlsState: s.transport ? s.transport.dtlsState : null,
        senderReports: Object.fromEntries(Object.entries(s.senderReports).map(
            ([kind, r]) => [kind, pick(r, ['packetsSent', 'bytesSent', 'reportsSent'])])),
      };
    },

    async publisherStats() {
      const out = {receiverReports: {}};
      (await sy.publisher.pc.getStats()).forEach(s => {
        // Made from the RTCP receiver reports the server sends for each producer.
        if (s.type === 'remote-inbound-rtp') {
          out.receiverReports[s.kind] = {
            packetsLost: s.packetsLost ?? null,
            fractionLost: s.fractionLost ?? null,
            roundTripTime: s.roundTripTime ?? null,
            roundTripTimeMeasurements: s.roundTripTimeMeasurements ?? null,
          };
        }
        if (s.type === 'outbound-rtp' && s.kind === 'video') {
          for (const k
                   of ['framesEncoded', 'keyFramesEncoded', 'pliCount', 'firCount', 'nackCount',
                       'frameWidth', 'frameHeight', 'encoderImplementation'])
            out[k] = s[k] ?? null;
        }
      });
      return out;
    },

    // Samples a <video> on a small canvas: how many pixels are lit, how many clearly green.
    pixels(video) {
      const w = 64, h = 48;
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const ctx = canvas.getContext('2d', {willReadFrequently: true});
      ctx.drawImage(video, 0, 0, w, h);
      const d = ctx.getImageData(0, 0, w, h).data;
      let bright = 0, green = 0, r = 0, g = 0, b = 0;
      for (let i = 0; i < d.length; i += 4) {
        r += d[i];
        g += d[i + 1];
        b += d[i + 2];
        if (Math.max(d[i], d[i + 1], d[i + 2]) > 40) bright++;
        if (d[i + 1] > 80 && d[i + 1] > d[i] + 30 && d[i + 1] > d[i + 2] + 30) green++;
      }
      const n = w * h;
      return {
        videoWidth: video.videoWidth,
        videoHeight: video.videoHeight,
        brightFraction: bright / n,
        greenFraction: green / n,
        mean: [r / n, g / n, b / n].map(x => Math.round(x)),
      };
    },
    viewerPixels(index) {
      return sy.pixels(sy.viewers[index].video);
    },

    async deleteSession(location, token) {
      const res = await fetch(location, {method: 'DELETE', headers: auth(token)});
      return {status: res.status, body: (await res.text()).slice(0, 300)};
    },

    closeViewer(index) {
      const v = sy.viewers[index];
      v.pc.close();
      v.video.srcObject = null;
      v.video.remove();
    },
  };
  window.__sy = sy;
}

// ---------------------------------------------------------------------------------------------
function parseArgs(argv, spec) {
  const out = {...spec};
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !(key in spec)) {
      throw new Error(
          `unknown argument ${argv[i]}; known: ${Object.keys(spec).map(k => '--' + k).join(' ')}`);
    }
    if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
    out[key] = typeof spec[key] === 'number' ? Number(argv[++i]) : argv[++i];
  }
  return out;
}

async function launchBrowser() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`],
  });
  const close = async () => {
    const proc = browser.process();
    await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    fs.rmSync(userDataDir, {recursive: true, force: true});
  };
  return {browser, close};
}

// Opens a page on the server's origin (a secure context on 127.0.0.1, so getUserMedia works)
// and installs the helpers. Page errors and console errors go to `log`.
async function openPage(browser, origin, log, name) {
  // Each page gets its own browser context: its own window, so it is visible and renders
  // (requestVideoFrameCallback never fires in a background tab), and its own storage.
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.on('pageerror', e => log.push(`${name}: page error: ${e.message}`));
  page.on('console', m => {
    const url = (m.location() && m.location().url) || '';
    if (m.type() === 'error' && !url.endsWith('/favicon.ico'))
      log.push(`${name}: console: ${m.text()} ${url}`.trim());
  });
  let res;
  try {
    res = await page.goto(origin + '/', {waitUntil: 'load', timeout: 10000});
  } catch (e) {
    throw new Error(`GET ${origin}/: ${e.message}`);
  }
  await page.evaluate(pageHelpers, CONNECT_TIMEOUT_MS);
  return {page, context, status: res ? res.status() : null};
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

// GET /api/workers until the workers hold no router (closing is asynchronous) or
// WORKERS_SETTLE_MS passed. The workers are asked, not the server's bookkeeping. Assumes the
// server serves this run only, as run_with_server.sh's does.
async function workersAfterDelete(origin, token) {
  const url = `${origin}/api/workers`;
  const t0 = Date.now();
  let workers = [], routers = [];
  for (;;) {
    let res;
    try {
      res = await fetch(url, {headers: token ? {Authorization: 'Bearer ' + token} : {}});
    } catch (e) {
      throw new Error(`GET ${url}: cannot reach the server: ${e.message}`);
    }
    const body = await res.text();
    if (res.status !== 200) {
      const excerpt = JSON.stringify(body.slice(0, 300));
      throw new Error(`GET ${url} -> HTTP ${res.status}, expected 200; body: ${excerpt}`);
    }
    workers = JSON.parse(body).workers || [];
    routers = workers.flatMap(w => (w.routers || []).map(r => r.id));
    if (!routers.length || Date.now() - t0 > WORKERS_SETTLE_MS) break;
    await sleep(WORKERS_POLL_MS);
  }
  return {workers: workers.length, routers_left: routers, waited_ms: Date.now() - t0};
}

function checkWorkersFreed(result, when, errors) {
  if (!result.workers) errors.push(`GET /api/workers ${when}: no worker listed`);
  if (result.routers_left.length) {
    errors.push(
        `${result.routers_left.length} router(s) still on the workers ` +
        `${WORKERS_SETTLE_MS / 1000} s ${when}: ${result.routers_left.join(', ')}`);
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise
      .race([
        promise,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
        }),
      ])
      .finally(() => clearTimeout(timer));
}

// page.evaluate's errors carry puppeteer's stack; keep the message the page threw.
const pageError = e =>
    String(e && e.message ? e.message : e).split('\n')[0].replace(/^Error: /, '');

// ---------------------------------------------------------------------------------------------
async function scenario(opts, report, state) {
  const origin = new URL(opts.server).origin;
  const stream = encodeURIComponent(opts.stream);
  const whip = `${origin}/whip/${stream}`;
  const whep = `${origin}/whep/${stream}`;
  const errors = report.errors;

  state.stage = 'launching Chromium';
  const {browser, close} = await launchBrowser();
  state.close = close;

  state.stage = 'opening pages';
  const pub = await openPage(browser, origin, report.console, 'publisher');
  report.index_status = pub.status;

  state.stage = 'publishing (WHIP POST)';
  try {
    report.publisher =
        await pub.page.evaluate((u, t) => window.__sy.publish(u, t), whip, opts.token);
  } catch (e) {
    throw new Error(pageError(e));
  }
  state.publisher = {page: pub.page, location: report.publisher.location};
  if (!report.publisher.etag) errors.push(`POST ${whip} -> 201 without an ETag header`);

  state.stage = 'viewers joining (WHEP POST)';
  const viewers = [];
  for (let i = 0; i < VIEWERS; i++)
    viewers.push((await openPage(browser, origin, report.console, `viewer ${i}`)).page);
  state.viewers = viewers;
  const indices = await Promise.all(
      viewers.map(p => p.evaluate((u, t) => window.__sy.watch(u, t), whep, opts.token).catch(e => {
        throw new Error(pageError(e));
      })));
  report.viewers = viewers.map(() => ({}));

  state.stage = 'waiting for the first frames';
  await Promise.all(viewers.map(async (p, i) => {
    const ok = await p.evaluate(
        (ix, ms) => window.__sy.waitFirstFrame(ix, ms), indices[i], FIRST_FRAME_TIMEOUT_MS);
    report.viewers[i].timings_ms = await p.evaluate(ix => window.__sy.timings(ix), indices[i]);
    if (!ok)
      errors.push(`viewer ${i}: no video frame presented within ${FIRST_FRAME_TIMEOUT_MS} ms`);
  }));

  state.stage = `watching for ${opts.seconds} s`;
  const before = await Promise.all(
      viewers.map((p, i) => p.evaluate(ix => window.__sy.viewerStats(ix), indices[i])));
  await sleep(opts.seconds * 1000);
  const after = await Promise.all(
      viewers.map((p, i) => p.evaluate(ix => window.__sy.viewerStats(ix), indices[i])));
  const pixels = await Promise.all(
      viewers.map((p, i) => p.evaluate(ix => window.__sy.viewerPixels(ix), indices[i])));
  report.publisher.stats = await pub.page.evaluate(() => window.__sy.publisherStats());
  for (const kind of ['audio', 'video']) {
    const rr = report.publisher.stats.receiverReports[kind];
    // The RTT needs our report to echo the publisher's own sender report (LSR/DLSR).
    if (!rr || !(rr.roundTripTimeMeasurements > 0))
      errors.push(`publisher: no RTCP receiver report with an RTT for ${kind} from the server`);
  }
  viewers.forEach((_, i) => {
    const r = report.viewers[i];
    const v0 = before[i].video || {}, v1 = after[i].video || {};
    const a0 = before[i].audio || {}, a1 = after[i].audio || {};
    r.stats = after[i];
    r.frames_decoded_while_watching = (v1.framesDecoded || 0) - (v0.framesDecoded || 0);
    r.audio_packets_while_watching = (a1.packetsReceived || 0) - (a0.packetsReceived || 0);
    r.pixels = pixels[i];
    const need = Math.round(MIN_DECODE_FPS * opts.seconds);
    if (r.frames_decoded_while_watching < need) {
      const grew = r.frames_decoded_while_watching;
      errors.push(`viewer ${i}: framesDecoded grew by ${grew} in ${opts.seconds} s, need ${need}`);
    }
    if (r.audio_packets_while_watching <= 0)
      errors.push(`viewer ${i}: no audio packets while watching`);
    for (const kind of ['audio', 'video']) {
      const sr = (after[i].senderReports || {})[kind];
      if (!sr || !(sr.packetsSent > 0))
        errors.push(`viewer ${i}: no RTCP sender report for ${kind} from the server`);
    }
    const px = pixels[i];
    const pct = x => `${(x * 100).toFixed(0)}%`;
    if (px.brightFraction < MIN_BRIGHT_FRACTION) {
      errors.push(
          `viewer ${i}: video is black (${pct(px.brightFraction)} lit pixels, ` +
          `mean RGB ${px.mean})`);
    } else if (px.greenFraction < MIN_GREEN_FRACTION) {
      errors.push(
          `viewer ${i}: video is not the fake camera's green (${pct(px.greenFraction)} ` +
          `green pixels, mean RGB ${px.mean})`);
    }
  });

  // The publisher keeps sending after its DELETE: the server must stop forwarding anyway.
  state.stage = 'deleting the publisher';
  const atDelete = await Promise.all(
      viewers.map((p, i) => p.evaluate(ix => window.__sy.viewerStats(ix), indices[i])));
  const del = await pub.page.evaluate(
      (l, t) => window.__sy.deleteSession(l, t), report.publisher.location, opts.token);
  report.publisher.delete_status = del.status;
  state.publisher.location = null;
  if (del.status !== 200 && del.status !== 204) {
    errors.push(
        `DELETE ${report.publisher.location} -> HTTP ${del.status}, expected 200; ` +
        `body: ${JSON.stringify(del.body)}`);
  }
  state.stage = 'checking the viewers stop';
  const deletedAt = Date.now();
  // Counters that must stop growing: when each last changed (null: never after the DELETE).
  const counters = s => ({
    video: s.video ? s.video.framesDecoded : 0,
    audio: s.audio ? s.audio.packetsReceived : 0,
  });
  const last = atDelete.map(s => ({values: counters(s), changedAt: {video: null, audio: null}}));
  while (Date.now() - deletedAt < STOP_OBSERVE_MS) {
    const stats = await Promise.all(
        viewers.map((p, i) => p.evaluate(ix => window.__sy.viewerStats(ix), indices[i])));
    stats.forEach((s, i) => {
      const values = counters(s);
      for (const kind of ['video', 'audio']) {
        if (values[kind] !== last[i].values[kind]) last[i].changedAt[kind] = Date.now() - deletedAt;
      }
      last[i].values = values;
    });
    await sleep(STOP_POLL_MS);
  }
  viewers.forEach((_, i) => {
    const {video, audio} = last[i].changedAt;
    report.viewers[i].last_frame_after_delete_ms = video;
    report.viewers[i].last_audio_packet_after_delete_ms = audio;
    if (video !== null && video > STOP_GRACE_MS) {
      errors.push(
          `viewer ${i}: framesDecoded still growing ${video} ms after the publisher's ` +
          'DELETE');
    }
    if (audio !== null && audio > STOP_GRACE_MS) {
      errors.push(
          `viewer ${i}: audio packets still arriving ${audio} ms after the publisher's ` +
          'DELETE');
    }
  });

  state.stage = 'deleting the viewers';
  for (let i = 0; i < viewers.length; i++) {
    const loc = await viewers[i].evaluate(ix => window.__sy.viewers[ix].location, indices[i]);
    const d = await viewers[i].evaluate((l, t) => window.__sy.deleteSession(l, t), loc, opts.token);
    report.viewers[i].delete_status = d.status;
    if (d.status === 404)
      report.notes.push(`viewer ${i}: DELETE -> 404 (already ended with the stream)`);
    else if (d.status !== 200 && d.status !== 204) {
      errors.push(
          `viewer ${i}: DELETE ${loc} -> HTTP ${d.status}; body: ${JSON.stringify(d.body)}`);
    }
    await viewers[i].evaluate(ix => window.__sy.closeViewer(ix), indices[i]);
  }
  await pub.page.evaluate(() => {
    window.__sy.publisher.pc.close();
    window.__sy.publisher.media.getTracks().forEach(t => t.stop());
  });
  state.publisher = null;
  state.viewers = [];

  const adminToken = opts['admin-token'] || opts.token;
  state.stage = 'checking the workers freed every router (GET /api/workers)';
  report.workers_after_delete = await workersAfterDelete(origin, adminToken);
  checkWorkersFreed(report.workers_after_delete, 'after every DELETE', errors);

  state.stage = 'driving the demo page';
  report.demo = await demoPage(browser, origin, `${opts.stream}-demo`, opts.token, report);
  state.stage = 'checking the workers freed the demo page\'s routers (GET /api/workers)';
  report.workers_after_demo = await workersAfterDelete(origin, adminToken);
  checkWorkersFreed(report.workers_after_demo, 'after the demo page stopped', errors);
}

// Drives control/server/web/index.html the way a person would: fill in, click, look.
async function demoPage(browser, origin, stream, token, report) {
  const errors = report.errors;
  const out = {};
  const {page, status} = await openPage(browser, origin, report.console, 'demo');
  out.index_status = status;
  if (status !== 200) errors.push(`GET ${origin}/ -> HTTP ${status}`);
  for (const id
           of ['stream', 'token', 'publish', 'publish-stop', 'publish-status', 'local', 'watch',
               'watch-stop', 'watch-status', 'remote', 'workers']) {
    if (!(await page.$('#' + id))) errors.push(`demo page: no element #${id}`);
  }
  if (errors.length) return out;
  await page.$eval('#stream', (el, v) => {
    el.value = v;
  }, stream);
  if (token)
    await page.$eval('#token', (el, v) => {
      el.value = v;
    }, token);

  const waitState = async (kind, want) => {
    try {
      await page.waitForFunction((k, w) => {
        const s = document.getElementById(k + '-status').dataset.state;
        return s === w || s === 'failed';
      }, {timeout: DEMO_STEP_TIMEOUT_MS, polling: 50}, kind, want);
    } catch (e) { /* reported below */
    }
    const el =
        await page.$eval(`#${kind}-status`, e => ({state: e.dataset.state, text: e.textContent}));
    out[kind + '_status'] = el.text;
    if (el.state !== want)
      errors.push(`demo page: #${kind}-status is "${el.text}", expected state ${want}`);
    return el.state === want;
  };

  await page.click('#publish');
  if (!(await waitState('publish', 'live'))) return out;
  await page.click('#watch');
  if (!(await waitState('watch', 'live'))) {
    await page.click('#publish-stop');
    return out;
  }
  // A frame reached #remote when requestVideoFrameCallback fires and its pixels are lit.
  const frame = await page.evaluate(
      ms => new Promise(resolve => {
        const v = document.getElementById('remote');
        const timer = setTimeout(() => resolve(null), ms);
        v.requestVideoFrameCallback(() => {
          clearTimeout(timer);
          resolve(true);
        });
      }),
      FIRST_FRAME_TIMEOUT_MS);
  if (!frame) {
    errors.push(`demo page: no frame shown in #remote within ${FIRST_FRAME_TIMEOUT_MS} ms`);
  } else {
    await sleep(500);
    out.pixels = await page.evaluate(() => window.__sy.pixels(document.getElementById('remote')));
    if (out.pixels.brightFraction < MIN_BRIGHT_FRACTION)
      errors.push(`demo page: #remote is black (mean RGB ${out.pixels.mean})`);
  }
  await page.click('#watch-stop');
  await waitState('watch', 'stopped');
  await page.click('#publish-stop');
  await waitState('publish', 'stopped');
  return out;
}

async function cleanup(state, token) {
  // Best effort: DELETE what is still open, then close the browser.
  try {
    if (state.publisher && state.publisher.location) {
      await withTimeout(
          state.publisher.page.evaluate(
              (l, t) => window.__sy.deleteSession(l, t), state.publisher.location, token),
          3000, 'DELETE');
    }
    for (const p of state.viewers || []) {
      await withTimeout(p.evaluate(async t => {
        for (const v of window.__sy.viewers)
          if (v.location) await window.__sy.deleteSession(v.location, t);
      }, token), 3000, 'DELETE');
    }
  } catch (e) { /* the server may be gone */
  }
  if (state.close) await state.close();
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2), {
      server: '',
      stream: 'chromium-interop',
      json: '',
      token: '',
      'admin-token': '',
      timeout: DEFAULT_TIMEOUT_S,
      seconds: DEFAULT_WATCH_S,
    });
    if (!opts.server) throw new Error('--server is required (e.g. http://127.0.0.1:8080)');
  } catch (e) {
    console.error(`whip_chromium: ${e.message}`);
    process.exit(2);
  }
  const report = {
    test: 'whip_chromium',
    server: opts.server,
    stream: opts.stream,
    errors: [],
    notes: [],
    console: [],
  };
  const state = {stage: 'starting'};
  const started = Date.now();
  const finish = code => {
    report.elapsed_s = (Date.now() - started) / 1000;
    report.passed = report.errors.length === 0;
    const text = JSON.stringify(report, null, 2);
    console.log(text);
    if (opts.json) fs.writeFileSync(opts.json, text + '\n');
    for (const e of report.errors) console.error('FAIL: ' + e);
    console.error('whip_chromium: ' + (report.passed ? 'PASS' : 'FAIL'));
    process.exit(code === undefined ? (report.passed ? 0 : 1) : code);
  };
  // Hard timeout: report what stage hung, then make sure Chromium goes away.
  const hard = setTimeout(async () => {
    report.errors.push(`hard timeout after ${opts.timeout} s while ${state.stage}`);
    await Promise.race([cleanup(state, opts.token), sleep(8000)]);
    finish(3);
  }, opts.timeout * 1000);
  try {
    await scenario(opts, report, state);
  } catch (e) {
    report.errors.push(`while ${state.stage}: ${pageError(e)}`);
  }
  clearTimeout(hard);
  await cleanup(state, opts.token);
  finish();
}

module.exports = {
  CHROMIUM_FLAGS,
  pageHelpers,
  launchBrowser,
  openPage,
  parseArgs,
  sleep,
  withTimeout,
  pageError
};

if (require.main === module) main();
