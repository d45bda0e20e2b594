/**
 * The preview page: one HTML file, no build step and nothing fetched from elsewhere. It asks for
 * each picture (`GET /frame?after=SEQ`: 4-byte JSON length, 4-byte JPEG length, the JSON, the
 * JPEG), asks for the next as soon as one arrives, draws the newest on each animation frame and
 * drops any it had no time to decode, so the page never falls behind either. Each JPEG holds the source
 * (left half) and the grade (right half); the split decides how much of each is shown.
 *
 * Latency is measured here: the time a picture is drawn, on the server's clock (the offset is
 * taken from `GET /api/time` with the shortest round trip), minus when its frame entered ffmpeg.
 * The first picture does not wait for the clock: pictures are drawn at once, latencies counted
 * once the clock is known. While the pipeline starts, the pictures come ungraded (`warming`) and
 * the grade's side says "grading starts"; when the server cannot keep up with the source it says
 * so in the header ("dropping N% of frames"). `window.__vgrade` exposes what the page shows, for
 * tests and benchmarks.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vgrade preview</title>
<style>
  :root { color-scheme: dark; font: 14px/1.4 system-ui, sans-serif; }
  body { margin: 0; background: #111; color: #ddd; display: flex; flex-direction: column; height: 100vh; }
  header { display: flex; gap: 1.5em; align-items: center; padding: 0.5em 1em; background: #1b1b1b; flex-wrap: wrap; }
  header .stat b { color: #fff; font-variant-numeric: tabular-nums; }
  #stage { position: relative; flex: 1; display: flex; align-items: center; justify-content: center; overflow: hidden; }
  #wrap { position: relative; max-width: 100%; max-height: 100%; }
  canvas { display: block; max-width: 100%; max-height: calc(100vh - 9em); background: #000; }
  #split { position: absolute; top: 0; bottom: 0; width: 24px; margin-left: -12px; cursor: ew-resize; touch-action: none; }
  #split::after { content: ''; position: absolute; left: 11px; top: 0; bottom: 0; width: 2px; background: #fff8; }
  .tag { position: absolute; top: 0.5em; padding: 0.1em 0.5em; background: #0008; border-radius: 3px; font-size: 12px; }
  #banner { position: absolute; top: 40%; left: 0; right: 0; text-align: center; font-size: 20px; background: #300c; padding: 0.5em; display: none; }
  #pipelines button { background: #2a2a2a; color: #ddd; border: 1px solid #444; padding: 0.3em 0.8em; border-radius: 3px; cursor: pointer; }
  #pipelines button[aria-pressed="true"] { background: #3b6; color: #000; border-color: #3b6; }
  footer { padding: 0.4em 1em; background: #1b1b1b; min-height: 1.5em; font-size: 13px; }
  #overload { color: #fc6; display: none; }
</style>
</head>
<body>
<header>
  <span id="pipelines" role="group" aria-label="pipeline"></span>
  <span class="stat">fps <b id="fps">-</b></span>
  <span class="stat">latency <b id="latency">-</b> ms</span>
  <span class="stat">dropped <b id="dropped">0</b></span>
  <span class="stat">source <b id="source">connecting</b></span>
  <span id="overload" role="status"></span>
</header>
<div id="stage">
  <div id="wrap">
    <canvas id="view" width="16" height="9"></canvas>
    <div id="split" role="slider" aria-label="before/after split" aria-valuemin="0" aria-valuemax="100" tabindex="0"></div>
    <span class="tag" style="left:0.5em">before</span><span class="tag" id="after" style="right:0.5em">after</span>
  </div>
  <div id="banner"></div>
</div>
<footer id="findings">no findings yet</footer>
<script>
(() => {
  const token = new URLSearchParams(location.search).get('token');
  const withToken = (path) => token ? path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : path;
  const $ = (id) => document.getElementById(id);
  const canvas = $('view'), ctx = canvas.getContext('2d'), split = $('split');
  const state = window.__vgrade = { frames: 0, drawn: 0, lastSeq: -1, split: 0.5, pipeline: null, latencies: [], serverLatencies: [], latencyP50: null, source: 'connecting', clockOffset: 0, clockKnown: false, findings: null, warming: false, keepUp: null };
  let latest = null, decoding = false, pending = null;

  async function syncClock() {
    let best = null;
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      const res = await fetch(withToken('/api/time'), { cache: 'no-store' });
      const { now } = await res.json();
      const t1 = Date.now();
      if (!best || t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: now - (t0 + t1) / 2 };
    }
    state.clockOffset = best.offset;
    state.clockKnown = true;
  }

  function placeSplit() {
    split.style.left = (state.split * 100) + '%';
    split.setAttribute('aria-valuenow', String(Math.round(state.split * 100)));
  }
  function setSplitFromEvent(e) {
    const r = canvas.getBoundingClientRect();
    state.split = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
    placeSplit();
    redraw();
  }
  split.addEventListener('pointerdown', (e) => { split.setPointerCapture(e.pointerId); setSplitFromEvent(e); });
  split.addEventListener('pointermove', (e) => { if (split.hasPointerCapture(e.pointerId)) setSplitFromEvent(e); });
  canvas.addEventListener('pointerdown', (e) => { setSplitFromEvent(e); split.setPointerCapture(e.pointerId); });
  split.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      state.split = Math.min(1, Math.max(0, state.split + (e.key === 'ArrowLeft' ? -0.05 : 0.05)));
      placeSplit(); redraw();
    }
  });
  placeSplit();

  function redraw() {
    if (!latest) return;
    const { bitmap } = latest;
    const w = bitmap.width / 2, h = bitmap.height;
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    const cut = Math.round(state.split * w);
    if (cut > 0) ctx.drawImage(bitmap, 0, 0, cut, h, 0, 0, cut, h);
    if (cut < w) ctx.drawImage(bitmap, w + cut, 0, w - cut, h, cut, 0, w - cut, h);
  }

  function draw() {
    if (!pending) return;
    const next = pending; pending = null;
    if (latest) latest.bitmap.close();
    latest = next;
    redraw();
    if (state.clockKnown) {
      const latency = Date.now() + state.clockOffset - next.header.enteredAt;
      state.latencies.push(latency);
      if (state.latencies.length > 100) state.latencies.shift();
    }
    if (next.header.encodedAt) {
      state.serverLatencies.push(next.header.encodedAt - next.header.enteredAt);
      if (state.serverLatencies.length > 100) state.serverLatencies.shift();
    }
    state.drawn++;
    state.lastSeq = next.header.seq;
  }

  async function show(header, jpeg) {
    state.frames++;
    if (decoding) return; // still decoding the previous one: this picture is dropped here
    decoding = true;
    try {
      const bitmap = await createImageBitmap(new Blob([jpeg], { type: 'image/jpeg' }));
      if (pending) pending.bitmap.close();
      pending = { bitmap, header };
      requestAnimationFrame(draw);
    } finally { decoding = false; }
  }

  function describeFindings(f) {
    if (!f) return 'no findings (this pipeline has no classifier)';
    const top = f.top.map((t) => t.label + ' ' + Math.round(t.p * 100) + '%').join(', ');
    const amounts = Object.entries(f.amounts).filter(([, a]) => a >= 0.5).map(([k, a]) => k + ' ' + a.toFixed(1)).join(', ');
    return 'classifier: ' + top + (amounts ? ' | amounts: ' + amounts : '');
  }

  function onHeader(h) {
    if (h.source) {
      state.source = h.source.state;
      $('source').textContent = h.source.state;
      const banner = $('banner');
      if (h.source.state !== 'live') {
        banner.style.display = 'block';
        banner.textContent = h.source.state === 'reconnecting' ? 'Source lost, reconnecting: ' + (h.source.reason || '') : 'Connecting to the source...';
      } else banner.style.display = 'none';
    }
    if (h.pipelines) renderPipelines(h.pipelines, h.pipeline);
    if (h.pipeline && h.pipeline !== state.pipeline) { state.pipeline = h.pipeline; renderPipelines(null, h.pipeline); }
    if (h.fps !== undefined) $('fps').textContent = h.fps.toFixed(1);
    if (h.dropped !== undefined) $('dropped').textContent = String(h.dropped);
    if ('findings' in h) { state.findings = h.findings; $('findings').textContent = describeFindings(h.findings); }
    if ('warming' in h) {
      state.warming = h.warming;
      $('after').textContent = h.warming ? 'grading starts\u2026' : 'after';
    }
    if (h.keepUp) {
      state.keepUp = h.keepUp;
      const overload = $('overload');
      overload.style.display = h.keepUp.keepingUp ? 'none' : 'inline';
      overload.textContent = h.keepUp.keepingUp ? '' : 'dropping ' + Math.round(h.keepUp.dropping * 100) + '% of frames: the machine cannot keep up';
    }
  }

  // The buttons are made once per list of pipelines and only marked after that: every message
  // carries the list, and buttons rebuilt under the pointer would swallow clicks.
  let known = '';
  function renderPipelines(list, current) {
    const box = $('pipelines');
    if (list && list.join() !== known) {
      known = list.join();
      box.textContent = '';
      for (const name of list) {
        const b = document.createElement('button');
        b.textContent = name;
        b.dataset.pipeline = name;
        b.onclick = () => fetch(withToken('/api/pipeline'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
        box.appendChild(b);
      }
    }
    for (const b of box.children) b.setAttribute('aria-pressed', String(b.dataset.pipeline === (current ?? state.pipeline)));
  }

  setInterval(() => {
    const l = state.latencies.slice().sort((a, b) => a - b);
    state.latencyP50 = l.length ? l[l.length >> 1] : null;
    $('latency').textContent = state.latencyP50 === null ? '-' : String(Math.round(state.latencyP50));
    if (l.length) fetch(withToken('/api/latency'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ p50: state.latencyP50, p95: l[Math.floor(l.length * 0.95)], samples: l.length }) }).catch(() => {});
  }, 1000);

  // One request per picture: the server answers with the newest picture newer than the last one
  // seen (or with news after a while), so nothing queues between the server and this page.
  const viewer = Math.random().toString(36).slice(2);
  // The clock is taken again every 10 s, beside the pictures, never before one.
  let syncing = false, synced = 0;
  function resync() {
    if (syncing || Date.now() - synced < 10000) return;
    syncing = true;
    syncClock().then(() => { synced = Date.now(); }, () => {}).finally(() => { syncing = false; });
  }
  async function stream() {
    let after = -1;
    for (;;) {
      try {
        resync();
        const res = await fetch(withToken('/frame?after=' + after + '&viewer=' + viewer), { cache: 'no-store' });
        if (!res.ok) throw new Error('frame: ' + res.status);
        const buf = new Uint8Array(await res.arrayBuffer());
        const view = new DataView(buf.buffer, buf.byteOffset, 8);
        const jl = view.getUint32(0), il = view.getUint32(4);
        const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + jl)));
        onHeader(header);
        if (il > 0) {
          after = header.seq;
          show(header, buf.slice(8 + jl, 8 + jl + il));
        }
      } catch (e) {
        console.warn(e);
        state.source = 'disconnected';
        $('source').textContent = 'server unreachable, retrying';
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
  stream();
})();
</script>
</body>
</html>
`;
