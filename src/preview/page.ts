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
 *
 * Beside the picture, a colourist's tools: scopes of the graded picture (computed on the server,
 * pulled like the pictures from `GET /api/scope`: one request at a time, the newest answer only),
 * trims over the automatic grade (`POST /api/trims`: strength, and the CDL's slope, offset and
 * power per channel, and saturation), freeze, a still and the look as `.cube` and `.cc` (downloads
 * from the server), matching to the frame shown or to a picture from a file (`POST /api/match`,
 * `POST /api/reference`: the server offers and switches to pipeline `match`, and the buttons
 * follow its state), a full-window mode, and the keyboard shortcuts listed on the page.
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
  #main { flex: 1; display: flex; min-height: 0; }
  #view { display: block; max-width: 100%; max-height: calc(100vh - 9em); background: #000; }
  #tools { width: 330px; flex: none; overflow-y: auto; background: #161616; padding: 0.5em 0.8em; font-size: 13px; }
  #tools h2 { font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; color: #999; margin: 0.8em 0 0.3em; }
  #tools button, #pipelines button { background: #2a2a2a; color: #ddd; border: 1px solid #444; padding: 0.3em 0.8em; border-radius: 3px; cursor: pointer; }
  #tools button[aria-pressed="true"] { background: #3b6; color: #000; border-color: #3b6; }
  #tools .row { display: flex; flex-wrap: wrap; gap: 0.3em; }
  #scope { display: block; width: 100%; background: #000; margin-top: 0.4em; }
  #scope[hidden] { display: none; }
  #trims table { border-collapse: collapse; width: 100%; }
  #trims td { padding: 0 0.2em; }
  #trims input { width: 100%; }
  #trims label { display: flex; align-items: center; gap: 0.5em; }
  #trims label input { flex: 1; }
  #trims output { display: inline-block; min-width: 3.2em; text-align: right; font-variant-numeric: tabular-nums; }
  #keys { display: grid; grid-template-columns: auto 1fr; gap: 0 0.8em; margin: 0; }
  #keys dt { font-family: monospace; color: #fff; }
  #keys dd { margin: 0; }
  #tools label.file { display: inline-block; background: #2a2a2a; color: #ddd; border: 1px solid #444; padding: 0.3em 0.8em; border-radius: 3px; cursor: pointer; }
  #tools label.file:focus-within { outline: 2px solid #3b6; }
  #referenceFile { position: absolute; width: 1px; height: 1px; opacity: 0; }
  #matchStatus { margin-top: 0.3em; color: #aaa; min-height: 1.4em; }
  #matchStatus.failed { color: #fc6; }
  #frozen { left: 50%; transform: translateX(-50%); background: #036c; display: none; }
  body.full header, body.full footer, body.full #tools { display: none; }
  body.full #view { width: min(100vw, calc(100vh * var(--aspect, 1.7778))); max-height: 100vh; }
  #split { position: absolute; top: 0; bottom: 0; width: 24px; margin-left: -12px; cursor: ew-resize; touch-action: none; }
  #split::after { content: ''; position: absolute; left: 11px; top: 0; bottom: 0; width: 2px; background: #fff8; }
  .tag { position: absolute; top: 0.5em; padding: 0.1em 0.5em; background: #0008; border-radius: 3px; font-size: 12px; }
  #banner { position: absolute; top: 40%; left: 0; right: 0; text-align: center; font-size: 20px; background: #300c; padding: 0.5em; display: none; }
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
<div id="main">
<div id="stage">
  <div id="wrap">
    <canvas id="view" width="16" height="9"></canvas>
    <div id="split" role="slider" aria-label="before/after split" aria-valuemin="0" aria-valuemax="100" tabindex="0"></div>
    <span class="tag" style="left:0.5em">before</span><span class="tag" id="after" style="right:0.5em">after</span>
    <span class="tag" id="frozen">frozen</span>
  </div>
  <div id="banner"></div>
</div>
<aside id="tools">
  <h2>Scope</h2>
  <div class="row" id="scopes" role="group" aria-label="scope">
    <button data-scope="off">off</button><button data-scope="waveform">waveform</button><button data-scope="parade">parade</button><button data-scope="vectorscope">vectorscope</button>
  </div>
  <canvas id="scope" width="320" height="200" hidden></canvas>
  <h2>Trims</h2>
  <div id="trims">
    <label>strength <input type="range" data-trim="strength" min="0" max="1.5" step="0.05" aria-label="strength"> <output data-for="strength"></output></label>
    <table>
      <tr><th></th><th>R</th><th>G</th><th>B</th></tr>
      <tr><td title="CDL slope">gain</td><td><input type="range" data-trim="slope" data-channel="0" min="0" max="2" step="0.01" aria-label="gain R"></td><td><input type="range" data-trim="slope" data-channel="1" min="0" max="2" step="0.01" aria-label="gain G"></td><td><input type="range" data-trim="slope" data-channel="2" min="0" max="2" step="0.01" aria-label="gain B"></td></tr>
      <tr><td title="CDL offset">lift</td><td><input type="range" data-trim="offset" data-channel="0" min="-0.25" max="0.25" step="0.005" aria-label="lift R"></td><td><input type="range" data-trim="offset" data-channel="1" min="-0.25" max="0.25" step="0.005" aria-label="lift G"></td><td><input type="range" data-trim="offset" data-channel="2" min="-0.25" max="0.25" step="0.005" aria-label="lift B"></td></tr>
      <tr><td title="CDL power">gamma</td><td><input type="range" data-trim="power" data-channel="0" min="0.25" max="2.5" step="0.01" aria-label="gamma R"></td><td><input type="range" data-trim="power" data-channel="1" min="0.25" max="2.5" step="0.01" aria-label="gamma G"></td><td><input type="range" data-trim="power" data-channel="2" min="0.25" max="2.5" step="0.01" aria-label="gamma B"></td></tr>
    </table>
    <label>saturation <input type="range" data-trim="saturation" min="0" max="2" step="0.01" aria-label="saturation"> <output data-for="saturation"></output></label>
    <div id="trimValues"></div>
    <div class="row"><button id="reset">reset trims</button></div>
  </div>
  <h2>Still and look</h2>
  <div class="row">
    <button id="freeze" aria-pressed="false">freeze</button><button id="grab">grab still</button><button id="cube">export .cube</button><button id="cc">export .cc</button><button id="full">full window</button>
  </div>
  <h2>Match</h2>
  <div class="row">
    <button id="matchFrame" title="grade towards the frame shown (the held one when frozen)">match to this frame</button><label class="file" title="grade towards a still: PNG, JPEG, TIFF...">match to a picture&hellip;<input type="file" id="referenceFile" accept="image/*"></label>
  </div>
  <div id="matchStatus" role="status"></div>
  <h2>Keys</h2>
  <dl id="keys">
    <dt>f</dt><dd>full window (Esc leaves)</dd>
    <dt>space</dt><dd>freeze / live</dd>
    <dt>s</dt><dd>grab a still (PNG of source and grade)</dd>
    <dt>e / c</dt><dd>export the look as .cube / .cc</dd>
    <dt>1 2 3 4</dt><dd>scope: off, waveform, parade, vectorscope</dd>
    <dt>r</dt><dd>reset the trims</dd>
    <dt>m</dt><dd>match to this frame (the held one when frozen)</dd>
    <dt>&larr; &rarr;</dt><dd>move the split (when it has focus)</dd>
  </dl>
</aside>
</div>
<footer id="findings">no findings yet</footer>
<script>
(() => {
  const token = new URLSearchParams(location.search).get('token');
  const withToken = (path) => token ? path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : path;
  const $ = (id) => document.getElementById(id);
  const canvas = $('view'), ctx = canvas.getContext('2d'), split = $('split');
  const state = window.__vgrade = { frames: 0, drawn: 0, lastSeq: -1, split: 0.5, pipeline: null, latencies: [], serverLatencies: [], latencyP50: null, source: 'connecting', clockOffset: 0, clockKnown: false, findings: null, warming: false, keepUp: null, scope: 'waveform', scopesDrawn: 0, scopeSeq: -1, trims: null, trimsVersion: -1, frozen: false, full: false, match: { state: 'none', text: '' } };
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
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; canvas.style.setProperty('--aspect', String(w / h)); }
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
    if (h.trims && (h.trimsVersion ?? 0) >= state.trimsVersion && !trimsBusy()) {
      state.trimsVersion = h.trimsVersion ?? 0;
      showTrims(h.trims);
    }
    if ('frozen' in h && h.frozen !== state.frozen) {
      state.frozen = h.frozen;
      $('freeze').setAttribute('aria-pressed', String(h.frozen));
      $('frozen').style.display = h.frozen ? 'block' : 'none';
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

  const post = (path, body) => fetch(withToken(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  // Trims: every slider change is sent, one request at a time (the newest values win); the
  // server's values (every message carries them) are shown unless a change of ours is on its way.
  const trimInputs = [...document.querySelectorAll('#trims input')];
  // trimsNext: the request to send once the one on its way is answered (only the newest is kept).
  let trimsSending = false, trimsNext = null, dragging = null;
  const trimsBusy = () => trimsSending || trimsNext !== null || dragging !== null;
  const trimValue = (t, input) => input.dataset.channel === undefined ? t[input.dataset.trim] : t[input.dataset.trim][Number(input.dataset.channel)];
  function showTrims(t) {
    if (JSON.stringify(t) === JSON.stringify(state.trims)) return;
    state.trims = t;
    for (const input of trimInputs) input.value = String(trimValue(t, input));
    for (const out of document.querySelectorAll('#trims output')) out.textContent = Number(t[out.dataset.for]).toFixed(2);
    $('trimValues').textContent = 'gain ' + t.slope.map((v) => v.toFixed(2)).join(' ') + ' | lift ' + t.offset.map((v) => v.toFixed(3)).join(' ') + ' | gamma ' + t.power.map((v) => v.toFixed(2)).join(' ');
  }
  function sendTrims(body) {
    if (trimsSending) { trimsNext = body; return; }
    trimsSending = true;
    post('/api/trims', body)
      .then((res) => res.json())
      .then((r) => { if (r.trims && trimsNext === null) { state.trimsVersion = r.version; state.trims = null; showTrims(r.trims); } })
      .catch((e) => console.warn(e))
      .finally(() => {
        trimsSending = false;
        const next = trimsNext;
        trimsNext = null;
        if (next) sendTrims(next);
      });
  }
  for (const input of trimInputs) {
    input.addEventListener('pointerdown', () => { dragging = input; });
    input.addEventListener('input', () => {
      if (!state.trims) return;
      const t = JSON.parse(JSON.stringify(state.trims));
      const v = Number(input.value);
      if (input.dataset.channel === undefined) t[input.dataset.trim] = v; else t[input.dataset.trim][Number(input.dataset.channel)] = v;
      state.trims = null;
      showTrims(t);
      sendTrims(t);
    });
    // A double click puts one trim back.
    input.addEventListener('dblclick', () => {
      const identity = { strength: 1, slope: 1, offset: 0, power: 1, saturation: 1 }[input.dataset.trim];
      input.value = String(identity);
      input.dispatchEvent(new Event('input'));
    });
  }
  window.addEventListener('pointerup', () => { dragging = null; });
  const resetTrims = () => sendTrims({ reset: true });

  // Scopes: pulled one at a time while one is chosen; the server answers with the newest only.
  const scopeCanvas = $('scope'), sctx = scopeCanvas.getContext('2d');
  const scratch = document.createElement('canvas');
  const TINTS = { waveform: [[0.55, 1, 0.6]], parade: [[1, 0.35, 0.35], [0.4, 1, 0.4], [0.45, 0.6, 1]], vectorscope: [[0.85, 1, 0.9]] };
  let scopeWake = null;
  function setScope(kind) {
    state.scope = kind;
    for (const b of $('scopes').children) b.setAttribute('aria-pressed', String(b.dataset.scope === kind));
    scopeCanvas.hidden = kind === 'off';
    if (scopeWake) { scopeWake(); scopeWake = null; }
  }
  for (const b of $('scopes').children) b.onclick = () => { setScope(b.dataset.scope); b.blur(); };
  function drawScope(kind, w, h, data) {
    const img = new ImageData(w, h);
    const tints = TINTS[kind], panel = w / tints.length;
    for (let y = 0, i = 0; y < h; y++) {
      for (let x = 0; x < w; x++, i++) {
        const v = data[i], t = tints[Math.floor(x / panel)], o = i * 4;
        img.data[o] = v * t[0]; img.data[o + 1] = v * t[1]; img.data[o + 2] = v * t[2]; img.data[o + 3] = 255;
      }
    }
    scratch.width = w; scratch.height = h;
    scratch.getContext('2d').putImageData(img, 0, 0);
    const W = 320, H = kind === 'vectorscope' ? 320 : 200;
    if (scopeCanvas.width !== W || scopeCanvas.height !== H) { scopeCanvas.width = W; scopeCanvas.height = H; }
    sctx.fillStyle = '#000'; sctx.fillRect(0, 0, W, H);
    sctx.drawImage(scratch, 0, 0, W, H);
    sctx.strokeStyle = '#fff4'; sctx.fillStyle = '#fff8'; sctx.font = '10px system-ui'; sctx.lineWidth = 1;
    if (kind === 'vectorscope') {
      // Cb to the right, Cr up, each -0.5..0.5; the 75% bars' targets and the centre.
      sctx.beginPath(); sctx.arc(W / 2, H / 2, W / 2 - 1, 0, 2 * Math.PI); sctx.moveTo(W / 2, 0); sctx.lineTo(W / 2, H); sctx.moveTo(0, H / 2); sctx.lineTo(W, H / 2); sctx.stroke();
      for (const [name, r, g, b] of [['R', 1, 0, 0], ['Yl', 1, 1, 0], ['G', 0, 1, 0], ['Cy', 0, 1, 1], ['B', 0, 0, 1], ['Mg', 1, 0, 1]]) {
        const y = 0.75 * (0.2126 * r + 0.7152 * g + 0.0722 * b), cb = (0.75 * b - y) / 1.8556, cr = (0.75 * r - y) / 1.5748;
        const x0 = (cb + 0.5) * W, y0 = (0.5 - cr) * H;
        sctx.strokeRect(x0 - 5, y0 - 5, 10, 10); sctx.fillText(name, x0 + 7, y0 + 3);
      }
    } else {
      for (const level of [0, 25, 50, 75, 100]) {
        const y = Math.round((1 - level / 100) * (H - 1)) + 0.5;
        sctx.beginPath(); sctx.moveTo(0, y); sctx.lineTo(W, y); sctx.stroke();
        sctx.fillText(String(level), 2, Math.min(H - 2, Math.max(10, y - 2)));
      }
      for (let p = 1; p < tints.length; p++) { const x = Math.round((p * W) / tints.length) + 0.5; sctx.beginPath(); sctx.moveTo(x, 0); sctx.lineTo(x, H); sctx.stroke(); }
    }
  }
  async function scopes() {
    let after = -1, kind = null;
    for (;;) {
      if (state.scope === 'off') { await new Promise((r) => { scopeWake = r; }); continue; }
      if (kind !== state.scope) { kind = state.scope; after = -1; }
      try {
        const res = await fetch(withToken('/api/scope?kind=' + kind + '&after=' + after), { cache: 'no-store' });
        if (res.status === 204) continue;
        if (!res.ok) throw new Error('scope: ' + res.status);
        const data = new Uint8Array(await res.arrayBuffer());
        if (kind !== state.scope) continue;
        after = Number(res.headers.get('x-scope-seq'));
        drawScope(kind, Number(res.headers.get('x-scope-width')), Number(res.headers.get('x-scope-height')), data);
        state.scopeSeq = after;
        state.scopesDrawn++;
      } catch (e) {
        console.warn(e);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  // Freeze, stills, the look, full window.
  const toggleFreeze = () => post('/api/freeze', { frozen: !state.frozen });
  function download(path) {
    const a = document.createElement('a');
    a.href = withToken(path);
    a.download = '';
    document.body.appendChild(a);
    a.click();
    a.remove();
  }
  const grab = () => download('/api/still.png');
  const exportCube = () => download('/api/look.cube');
  const exportCc = () => download('/api/look.cc');
  function setFull(on) {
    state.full = on;
    document.body.classList.toggle('full', on);
    $('full').setAttribute('aria-pressed', String(on));
  }
  // Matching: the server writes the reference, offers pipeline "match" and switches to it; the
  // pipeline buttons follow from its state like any switch.
  function showMatch(st, text) {
    state.match = { state: st, text };
    $('matchStatus').textContent = text;
    $('matchStatus').classList.toggle('failed', st === 'failed');
  }
  async function matchWith(request, what) {
    showMatch('busy', 'matching to ' + what + '\u2026');
    try {
      const res = await request;
      const answer = await res.json().catch(() => ({}));
      if (res.ok) showMatch('done', 'matched to ' + (answer.reference || what));
      else showMatch('failed', 'cannot match: ' + (answer.error || 'the server answered ' + res.status));
    } catch (e) {
      showMatch('failed', 'cannot match: ' + e.message);
    }
  }
  const matchFrame = () => matchWith(post('/api/match', {}), 'this frame');
  const picker = $('referenceFile');
  picker.addEventListener('change', () => {
    const file = picker.files[0];
    picker.value = ''; // the same file may be chosen again
    if (!file) return;
    matchWith(fetch(withToken('/api/reference'), { method: 'POST', headers: { 'content-type': file.type || 'application/octet-stream', 'x-vgrade-filename': encodeURIComponent(file.name) }, body: file }), file.name);
  });
  const buttons = { freeze: toggleFreeze, grab, cube: exportCube, cc: exportCc, full: () => setFull(!state.full), reset: resetTrims, matchFrame };
  for (const [id, act] of Object.entries(buttons)) $(id).onclick = () => { act(); $(id).blur(); };
  const KEYS = { f: () => setFull(!state.full), Escape: () => setFull(false), ' ': toggleFreeze, s: grab, e: exportCube, c: exportCc, r: resetTrims, m: matchFrame, '1': () => setScope('off'), '2': () => setScope('waveform'), '3': () => setScope('parade'), '4': () => setScope('vectorscope') };
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const act = KEYS[e.key];
    if (!act) return;
    e.preventDefault();
    act();
  });
  setScope(state.scope);

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
  scopes();
})();
</script>
</body>
</html>
`;
