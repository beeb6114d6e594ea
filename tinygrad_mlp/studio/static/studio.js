// tinygrad-mlp studio: the page. Plain DOM, canvas and SVG; no library, no network but
// its own server. Anything that came from a user's file is put in with textContent or
// as an SVG/canvas text node, never parsed as HTML.
(function () {
  'use strict';
  const token = new URLSearchParams(location.search).get('token') || '';
  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  const COLOURS = [[245, 147, 34], [8, 119, 189], [60, 160, 80], [150, 80, 170], [200, 60, 60]];
  const st = {
    step: 0, epoch: 0, loss: null, batchLoss: null, valLoss: null, points: 0, playing: false,
    run: -1, history: [], view: null, pts: null, settings: null, connected: false,
    error: '', errors: 0, sample: null, network: null, diverged: null, updates: 0,
  };
  let ws = null;
  let nextId = 1;
  let settingsShown = '';
  let graphTimer = null;
  let graphStep = -1;

  function rgb(c, alpha) { return `rgba(${c[0]},${c[1]},${c[2]},${alpha === undefined ? 1 : alpha})`; }
  function colour(k) { return COLOURS[((k % COLOURS.length) + COLOURS.length) % COLOURS.length]; }
  function fmt(v) {
    if (v === null || v === undefined) return '–';
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  }
  function el(tag, text, parent) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (parent) parent.appendChild(e);
    return e;
  }
  function svg(tag, attrs, parent) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function showError(text) {
    st.error = String(text);
    st.errors += 1;
    $('errors').textContent = st.error;
  }
  function clearError() { st.error = ''; $('errors').textContent = ''; }

  function send(msg) {
    if (!ws || ws.readyState !== WebSocket.OPEN) { showError('not connected to the studio'); return null; }
    msg.id = nextId++;
    ws.send(JSON.stringify(msg));
    return msg.id;
  }

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(`${scheme}//${location.host}/ws?token=${encodeURIComponent(token)}`);
    ws.onopen = () => { st.connected = true; };
    ws.onclose = () => { st.connected = false; showError('the connection to the studio closed'); };
    ws.onmessage = (event) => {
      let m;
      try { m = JSON.parse(event.data); } catch (e) { showError('an unreadable message came in'); return; }
      if (m.type === 'hello') { hello(m); update(m); }
      else if (m.type === 'update') update(m);
      else if (m.type === 'error') showError(m.message);
      else if (m.type === 'ack') { if (m.kind !== 'sample') clearError(); }
    };
  }

  function fillSelect(select, values, labels) {
    clear(select);
    values.forEach((v, k) => {
      const o = el('option', labels ? labels[k] : v, select);
      o.value = v;
    });
  }

  function hello(m) {
    const c = m.choices;
    fillSelect($('dataset'), c.datasets);
    fillSelect($('activation'), c.activations);
    fillSelect($('output-activation'), ['', ...c.activations], ['default', ...c.activations]);
    fillSelect($('loss'), c.losses);
    fillSelect($('optimizer'), c.optimizers);
    st.limits = m.limits;
    st.history = m.history || [];
    st.run = m.run;
    settingsShown = '';
  }

  function showSettings(s) {
    const text = JSON.stringify(s);
    if (text === settingsShown) return;
    settingsShown = text;
    $('hidden').value = s.hidden.join(',');
    $('activation').value = s.activation;
    $('output-activation').value = s.output_activation || '';
    $('loss').value = s.loss;
    $('optimizer').value = s.optimizer;
    $('lr').value = s.lr;
    $('batch-size').value = s.batch_size;
    $('weight-decay').value = s.weight_decay;
    $('seed').value = s.seed;
  }

  function update(m) {
    if (m.run !== st.run) { st.history = m.history || []; st.run = m.run; }
    if (m.point && (!st.history.length || st.history[st.history.length - 1][0] !== m.point[0])) {
      if (st.history.length && m.point[0] < st.history[st.history.length - 1][0]) st.history = [];
      st.history.push(m.point);
      if (st.history.length > 4000) st.history = st.history.filter((_, k) => k % 2 === 0);
    }
    const wasPlaying = st.playing;
    Object.assign(st, {
      step: m.step, epoch: m.epoch, loss: m.train_loss, batchLoss: m.loss, valLoss: m.val_loss,
      playing: m.playing, view: m.view, settings: m.settings,
      network: m.network, diverged: m.diverged, health: m.health,
    });
    if (m.sample) st.sample = m.sample;
    st.updates += 1;
    if (m.points) { st.pts = m.points; st.points = m.points.count; showPoints(); }
    showSettings(m.settings);
    const play = $('play');
    play.textContent = st.playing ? '❚❚ pause' : '▶ play';
    play.classList.toggle('playing', st.playing);
    $('show-graph').disabled = st.playing;
    $('status').textContent = `step ${st.step} · epoch ${st.epoch} · training loss ${fmt(st.loss)}` +
      (st.valLoss !== null ? ` · validation ${fmt(st.valLoss)}` : '') + ` · ${st.points} points`;
    if (m.diverged) showError(m.diverged + ': lower the learning rate and reset');
    drawView();
    drawLoss();
    drawNetwork();
    drawHealth();
    drawSample();
    if (!st.playing && (wasPlaying || graphStep !== st.step)) scheduleGraph();
  }

  function showPoints() {
    const p = st.pts;
    const select = $('class');
    if (p.classes) fillSelect(select, p.classes.map((_, k) => String(k)), p.classes.map((c) => `class ${c}`));
    else fillSelect(select, ['value'], [p.targets.length ? `a point (${p.targets[0]})` : 'a point']);
    if ([...$('dataset').options].some((o) => o.value === p.name)) {
      $('dataset').value = p.name;
      $('size').value = p.count;
    }
    const sampleInput = $('sample-index');
    sampleInput.max = String(Math.max(0, p.count - 1));
    $('data-name').textContent = `${p.name || 'data'}: ${p.count} rows, inputs ${p.inputs.join(', ')} → ${p.targets.join(', ')}`;
  }

  // -- the data view ---------------------------------------------------------------------

  function toPixel(x, y, canvas) {
    const e = st.pts.extent;
    return [(x - e[0][0]) / (e[0][1] - e[0][0]) * canvas.width,
      (e[1][1] - y) / (e[1][1] - e[1][0]) * canvas.height];
  }
  function toData(px, py, canvas) {
    const e = st.pts.extent;
    return [e[0][0] + px / canvas.width * (e[0][1] - e[0][0]),
      e[1][1] - py / canvas.height * (e[1][1] - e[1][0])];
  }

  function drawView() {
    const canvas = $('boundary');
    const ctx = canvas.getContext('2d');
    const v = st.view;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!v || !st.pts) return;
    const titles = { boundary: 'decision boundary', curve: 'fitted curve', scatter: 'predicted against true', confusion: 'confusion matrix' };
    $('view-title').textContent = titles[v.kind];
    if (v.kind === 'boundary') drawBoundary(ctx, canvas, v);
    else if (v.kind === 'curve') drawCurve(ctx, canvas, v);
    else if (v.kind === 'scatter') drawScatter(ctx, canvas, v);
    else drawConfusion(ctx, canvas, v);
  }

  function drawBoundary(ctx, canvas, v) {
    const n = v.size;
    const image = ctx.createImageData(n, n);
    for (let k = 0; k < n * n; k++) {
      let c;
      if (v.cls) {
        const w = Math.max(0, Math.min(1, (v.values[k] - 0.3) / 0.7)) * 0.6;
        const base = colour(v.cls[k]);
        c = base.map((b) => 255 * (1 - w) + b * w);
      } else {
        const p = v.values[k];
        const w = Math.abs(p - 0.5) * 2 * 0.6;
        const base = p > 0.5 ? COLOURS[1] : COLOURS[0];
        c = base.map((b) => 255 * (1 - w) + b * w);
      }
      image.data.set([c[0], c[1], c[2], 255], 4 * k);
    }
    const small = document.createElement('canvas');
    small.width = n; small.height = n;
    small.getContext('2d').putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    const rows = st.pts.rows || [];
    const held = st.pts.held || [];
    rows.forEach((r, k) => {
      const [px, py] = toPixel(r[0], r[1], canvas);
      ctx.beginPath();
      ctx.arc(px, py, 3.5, 0, 2 * Math.PI);
      const c = st.pts.classes ? colour(r[2]) : [80, 80, 80];
      ctx.fillStyle = held[k] ? '#fff' : rgb(c);
      ctx.strokeStyle = held[k] ? rgb(c) : '#fff';
      ctx.lineWidth = held[k] ? 2 : 1;
      ctx.fill();
      ctx.stroke();
    });
    $('view-legend').textContent = st.pts.classes
      ? `classes ${st.pts.classes.join(', ')}; hollow points are held out. Click to add a point, click a point to remove it.`
      : 'the first output, low to high. Click to add a point, click a point to remove it.';
  }

  function drawAxes(ctx, canvas) {
    ctx.strokeStyle = '#ccc';
    ctx.lineWidth = 1;
    const [zx, zy] = toPixel(0, 0, canvas);
    ctx.beginPath(); ctx.moveTo(0, zy); ctx.lineTo(canvas.width, zy);
    ctx.moveTo(zx, 0); ctx.lineTo(zx, canvas.height); ctx.stroke();
  }

  function drawCurve(ctx, canvas, v) {
    drawAxes(ctx, canvas);
    const rows = st.pts.rows || [];
    const held = st.pts.held || [];
    rows.forEach((r, k) => {
      const [px, py] = toPixel(r[0], r[1], canvas);
      ctx.beginPath(); ctx.arc(px, py, 3, 0, 2 * Math.PI);
      ctx.fillStyle = held[k] ? '#fff' : rgb(COLOURS[1]);
      ctx.strokeStyle = rgb(COLOURS[1]);
      ctx.fill(); ctx.stroke();
    });
    ctx.strokeStyle = rgb(COLOURS[0]);
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    v.x.forEach((x, k) => {
      const [px, py] = toPixel(x, v.y[k], canvas);
      if (k === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    });
    ctx.stroke();
    $('view-legend').textContent = 'points: the data; line: the network. Click to add a point, click a point to remove it.';
  }

  function drawScatter(ctx, canvas, v) {
    const all = v.true.concat(v.predicted);
    const lo = Math.min(...all), hi = Math.max(...all);
    const span = (hi - lo) || 1;
    const px = (t) => 20 + (t - lo) / span * (canvas.width - 40);
    const py = (t) => canvas.height - 20 - (t - lo) / span * (canvas.height - 40);
    ctx.strokeStyle = '#bbb'; ctx.beginPath();
    ctx.moveTo(px(lo), py(lo)); ctx.lineTo(px(hi), py(hi)); ctx.stroke();
    ctx.fillStyle = rgb(COLOURS[1], 0.7);
    v.true.forEach((t, k) => { ctx.beginPath(); ctx.arc(px(t), py(v.predicted[k]), 3, 0, 2 * Math.PI); ctx.fill(); });
    $('view-legend').textContent = `across: true ${st.pts.targets[0] || ''}; up: predicted`;
  }

  function drawConfusion(ctx, canvas, v) {
    const k = v.matrix.length;
    const cell = Math.min(60, (canvas.width - 60) / Math.max(1, k));
    const top = Math.max(...v.matrix.flat(), 1);
    ctx.font = '12px monospace';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    v.matrix.forEach((row, i) => row.forEach((count, j) => {
      const w = count / top;
      ctx.fillStyle = rgb(COLOURS[1], 0.1 + 0.8 * w);
      ctx.fillRect(50 + j * cell, 30 + i * cell, cell - 2, cell - 2);
      ctx.fillStyle = w > 0.5 ? '#fff' : '#000';
      ctx.fillText(String(count), 50 + j * cell + cell / 2, 30 + i * cell + cell / 2);
    }));
    ctx.fillStyle = '#000';
    (st.pts.classes || []).forEach((c, i) => {
      ctx.fillText(String(c).slice(0, 8), 25, 30 + i * cell + cell / 2);
      ctx.fillText(String(c).slice(0, 8), 50 + i * cell + cell / 2, 18);
    });
    $('view-legend').textContent = 'rows: true class; columns: predicted';
  }

  function onBoundaryClick(event) {
    if (!st.pts || !st.view || (st.view.kind !== 'boundary' && st.view.kind !== 'curve')) {
      showError('points can be added to data with 1 or 2 inputs only');
      return;
    }
    const canvas = $('boundary');
    const box = canvas.getBoundingClientRect();
    const cx = (event.clientX - box.left) * canvas.width / box.width;
    const cy = (event.clientY - box.top) * canvas.height / box.height;
    const rows = st.pts.rows || [];
    let nearest = -1, best = 36;
    rows.forEach((r, k) => {
      const [px, py] = toPixel(r[0], r[1], canvas);
      const d = (px - cx) ** 2 + (py - cy) ** 2;
      if (d < best) { best = d; nearest = k; }
    });
    if (nearest >= 0) { send({ type: 'remove_point', index: nearest }); return; }
    const [x, y] = toData(cx, cy, canvas);
    if (st.view.kind === 'curve') send({ type: 'add_point', x: [x], target: y });
    else send({ type: 'add_point', x: [x, y], target: Number($('class').value) || 0 });
  }

  // -- the loss ----------------------------------------------------------------------------

  function drawLoss() {
    const box = $('loss-chart');
    clear(box);
    const h = st.history;
    const W = Number(box.getAttribute('width')), H = Number(box.getAttribute('height'));
    const left = 46, bottom = 18;
    svg('rect', { x: left, y: 4, width: W - left - 4, height: H - bottom - 4, fill: '#fafafa', stroke: '#ddd' }, box);
    if (h.length < 1) return;
    const values = [];
    h.forEach((p) => { if (p[1] !== null) values.push(p[1]); if (p[2] !== null) values.push(p[2]); });
    if (!values.length) return;
    const log = values.every((v) => v > 0);
    const f = (v) => (log ? Math.log10(v) : v);
    let lo = Math.min(...values.map(f)), hi = Math.max(...values.map(f));
    if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
    const s0 = h[0][0], s1 = Math.max(h[h.length - 1][0], s0 + 1);
    const x = (s) => left + (s - s0) / (s1 - s0) * (W - left - 8);
    const y = (v) => 6 + (hi - f(v)) / (hi - lo) * (H - bottom - 10);
    [[1, '#283593'], [2, '#e65100']].forEach(([col, stroke]) => {
      const pts = h.filter((p) => p[col] !== null).map((p) => `${x(p[0]).toFixed(1)},${y(p[col]).toFixed(1)}`);
      if (pts.length) svg('polyline', { points: pts.join(' '), fill: 'none', stroke, 'stroke-width': 1.5 }, box);
    });
    const label = (text, attrs) => { svg('text', attrs, box).textContent = text; };
    label(fmt(log ? 10 ** hi : hi), { x: 2, y: 14, 'font-size': 10 });
    label(fmt(log ? 10 ** lo : lo), { x: 2, y: H - bottom, 'font-size': 10 });
    label(`step ${s0}`, { x: left, y: H - 4, 'font-size': 10 });
    label(`${s1}`, { x: W - 4, y: H - 4, 'font-size': 10, 'text-anchor': 'end' });
  }

  // -- the network -------------------------------------------------------------------------

  function drawNetwork() {
    const box = $('network');
    clear(box);
    const n = st.network;
    if (!n) return;
    const W = Number(box.getAttribute('width')), H = Number(box.getAttribute('height'));
    const cols = n.sizes.length;
    const shown = n.sizes.map((s) => Math.min(s, 12));
    const pos = shown.map((s, l) => Array.from({ length: s }, (_, j) => [
      30 + l * (W - 60) / Math.max(1, cols - 1), 14 + (j + 0.5) * (H - 28) / s]));
    if (n.weights) {
      let top = 1e-9;
      n.weights.forEach((m) => m.forEach((row) => row.forEach((w) => { top = Math.max(top, Math.abs(w)); })));
      n.weights.forEach((m, l) => m.forEach((row, j) => row.forEach((w, i) => {
        if (j >= shown[l + 1] || i >= shown[l]) return;
        const [x1, y1] = pos[l][i], [x2, y2] = pos[l + 1][j];
        const line = svg('line', {
          x1, y1, x2, y2, stroke: w >= 0 ? rgb(COLOURS[1], 0.8) : rgb(COLOURS[0], 0.8),
          'stroke-width': (0.3 + 4 * Math.abs(w) / top).toFixed(2),
        }, box);
        svg('title', {}, line).textContent = `w = ${fmt(w)}`;
      })));
    } else {
      svg('text', { x: 4, y: H - 4, 'font-size': 10 }, box).textContent = 'too many weights to draw their edges';
    }
    const names = st.pts ? st.pts.inputs : [];
    pos.forEach((layer, l) => layer.forEach(([x, y], j) => {
      const a = n.values[l] ? n.values[l][j] : 0;
      const t = Math.max(-1, Math.min(1, a));
      const c = t >= 0 ? COLOURS[1] : COLOURS[0];
      const circle = svg('circle', { cx: x, cy: y, r: 9, fill: rgb(c, Math.abs(t) * 0.85 + 0.1), stroke: '#555' }, box);
      const what = l === 0 ? `input ${names[j] !== undefined ? names[j] : j}` : (l === cols - 1 ? `output ${j}` : `hidden ${l - 1}, unit ${j}`);
      svg('title', {}, circle).textContent = `${what}: a = ${fmt(a)}`;
      if (l === 0 && names[j] !== undefined) {
        svg('text', { x: x - 12, y: y + 3, 'font-size': 10, 'text-anchor': 'end' }, box).textContent = String(names[j]).slice(0, 6);
      }
    }));
    n.sizes.forEach((s, l) => {
      if (s > shown[l]) svg('text', { x: pos[l][0][0] - 8, y: H - 2, 'font-size': 9 }, box).textContent = `+${s - shown[l]}`;
    });
  }

  // -- health and the sample ---------------------------------------------------------------

  function table(rows, header, parent) {
    const t = el('table', null, parent);
    if (header) { const tr = el('tr', null, t); header.forEach((h) => el('th', h, tr)); }
    rows.forEach((r) => { const tr = el('tr', null, t); r.forEach((c) => el('td', typeof c === 'number' ? fmt(c) : c, tr)); });
    return t;
  }

  function drawHealth() {
    const box = $('health');
    clear(box);
    const h = st.health;
    if (!h || !h.available) { el('p', h ? h.message : '', box).className = 'hint'; return; }
    const latest = h.latest;
    const layers = latest && (Array.isArray(latest) ? latest : (latest.layers || null));
    if (Array.isArray(layers) && layers.length && typeof layers[0] === 'object') {
      const keys = Object.keys(layers[0]);
      const cell = (v) => (v === null || v === undefined ? '—' : (typeof v === 'number' ? v : String(v)));
      table(layers.map((row) => keys.map((k) => cell(row[k]))), keys, box);
    } else if (latest && typeof latest === 'object') {
      table(Object.keys(latest).map((k) => [k, typeof latest[k] === 'number' ? latest[k] : JSON.stringify(latest[k])]), null, box);
    }
    const ul = el('ul', null, box);
    (h.findings || []).forEach((f) => el('li', f, ul));
  }

  function drawSample() {
    const s = st.sample;
    const t = $('sample');
    clear(t);
    if (!s) return;
    $('sample-head').textContent = `row ${s.index}: x = (${s.x.map(fmt).join(', ')}), target ${s.target}, ` +
      `L = ${fmt(s.loss)}; largest |δ − ∂L/∂b| = ${s.largest_difference.toExponential(1)}`;
    const tr = el('tr', null, t);
    ['s', '', 'a', '', 'δ (by hand)', 'δ = ∂L/∂b (autodiff)'].forEach((h) => el('th', h, tr));
    s.rows.forEach((r) => {
      const row = el('tr', null, t);
      el('td', r[0], row); el('td', fmt(r[3]), row);
      el('td', r[1], row); el('td', fmt(r[4]), row);
      el('td', `${r[2]} = ${fmt(r[5])}`, row); el('td', fmt(r[6]), row);
    });
  }

  // -- the graph ---------------------------------------------------------------------------

  function scheduleGraph() {
    clearTimeout(graphTimer);
    graphTimer = setTimeout(showGraph, 400);
  }
  function showGraph() {
    if (st.playing || !st.sample) return;
    graphStep = st.step;
    $('graph').src = `graph.svg?token=${encodeURIComponent(token)}&sample=${st.sample.index}&step=${st.step}&run=${st.run}`;
    $('graph').alt = `the computation graph of row ${st.sample.index} at step ${st.step}`;
    $('graph-hint').textContent = `row ${st.sample.index} at step ${st.step}: each value's data and gradient`;
  }

  // -- controls ----------------------------------------------------------------------------

  function readSettings() {
    const hidden = $('hidden').value.split(',').map((t) => t.trim()).filter((t) => t.length);
    const sizes = hidden.map(Number);
    if (!sizes.length || sizes.some((n) => !Number.isInteger(n))) {
      throw new Error(`hidden takes sizes like 4 or 8,8, not ${JSON.stringify($('hidden').value)}`);
    }
    return {
      hidden: sizes,
      activation: $('activation').value,
      output_activation: $('output-activation').value || null,
      loss: $('loss').value,
      optimizer: $('optimizer').value,
      lr: Number($('lr').value),
      batch_size: Number($('batch-size').value),
      weight_decay: Number($('weight-decay').value),
      seed: Number($('seed').value),
    };
  }

  function exports() {
    const link = (id, what) => { $(id).href = `export/${what}?token=${encodeURIComponent(token)}`; };
    link('export-model', 'model.json');
    link('export-command', 'command.txt');
    link('export-data', 'data.csv');
    link('export-gif', 'boundary.gif');
    link('export-pngs', 'boundary.zip');
  }

  function wire() {
    $('play').addEventListener('click', () => send({ type: st.playing ? 'pause' : 'play' }));
    $('step').addEventListener('click', () => send({ type: 'step' }));
    $('epoch').addEventListener('click', () => send({ type: 'epoch' }));
    $('reset').addEventListener('click', () => send({ type: 'reset' }));
    $('apply').addEventListener('click', () => {
      try { send({ type: 'configure', settings: readSettings() }); } catch (e) { showError(e.message); }
    });
    $('load-data').addEventListener('click', () => send({
      type: 'dataset', name: $('dataset').value, size: Number($('size').value),
      noise: Number($('noise').value), seed: Number($('data-seed').value),
    }));
    $('csv').addEventListener('change', () => {
      const file = $('csv').files[0];
      if (!file) return;
      const limit = (st.limits && st.limits.upload) || 1048576;
      if (file.size > limit) { showError(`${file.name}: ${file.size} bytes is larger than the ${limit} byte (1 MB) upload limit`); return; }
      file.text().then((text) => send({ type: 'csv', name: file.name, text }));
      $('csv').value = '';
    });
    $('sample-index').addEventListener('change', () => send({ type: 'sample', index: Number($('sample-index').value) }));
    $('boundary').addEventListener('click', onBoundaryClick);
    $('show-graph').addEventListener('click', showGraph);
    $('graph').addEventListener('error', () => { if ($('graph').getAttribute('src')) $('graph-hint').textContent = 'the graph could not be drawn (is Graphviz installed?)'; });
    exports();
  }

  window.studio = {
    state: () => ({
      step: st.step, epoch: st.epoch, loss: st.loss, batchLoss: st.batchLoss, valLoss: st.valLoss,
      points: st.points, playing: st.playing, run: st.run, connected: st.connected,
      error: st.error, errors: st.errors, updates: st.updates,
      view: st.view ? st.view.kind : null,
      activation: st.settings ? st.settings.activation : null,
      classes: st.pts ? st.pts.classes : null,
      inputs: st.pts ? st.pts.inputs.slice() : [],
    }),
    send,
  };
  wire();
  connect();
}());
