// Slip's live metric chart: lines, min-max bands and reference lines drawn on one canvas, with a legend that hides
// and shows lines, a hover read-out, drag-to-zoom on x (double-click resets) and PNG export. A live point costs a
// canvas redraw of well under a millisecond, where a Plotly redraw of the same chart cost 6 to 30 ms of script and a
// relayout of its SVG (docs/decisions/0013-canvas-live-charts.md). The server owns the data: it sends whole series
// (setData), appends live points (extend) and is told of zooms so it can read the zoomed range at full resolution.
// Tests read el.chart: traces, xRange, xTitle, and zoom(from, to) behaves like a drag.

const Margin = { left: 58, right: 14, top: 8, bottom: 38 };
const Palette = { light: { text: '#444', grid: '#e8e8e8', axis: '#999' }, dark: { text: '#e0e0e0', grid: 'rgba(255,255,255,0.12)', axis: '#888' } };
const MarkersUpTo = 200;   // markers on a line while it shows this many points or fewer (sparse metrics stay readable)

export function create(el, dotnet, options) {
    el.replaceChildren();
    const title = div('slip-chart-title', options.title);
    const legend = div('slip-chart-legend');
    const tools = div('slip-chart-tools');
    const reset = button('Reset zoom', 'Show the whole run (or double-click the chart)');
    const png = button('PNG', 'Download the chart as a PNG image');
    reset.hidden = true;
    tools.append(reset, png);
    const header = div('slip-chart-header');
    header.append(title, tools);
    const canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', options.title);
    const tip = div('slip-chart-tip');
    tip.hidden = true;
    const body = div('slip-chart-body');
    body.append(canvas, tip);
    el.append(header, legend, body);

    const state = {
        el, dotnet, canvas, tip, legend, reset,
        title: options.title, height: options.height || 300, dark: !!options.dark, refLines: options.refLines || [],
        traces: [], xTitle: 'step', time: false, xRange: null, hidden: new Set(), hover: null, drag: null, frame: 0,
        zoom: (from, to) => zoomTo(state, from, to),
    };
    el.chart = state;
    reset.onclick = () => zoomTo(state, null, null);
    png.onclick = () => {
        // On the page's own background, so the image reads the same outside it (dark text on nothing would not).
        const image = document.createElement('canvas');
        image.width = canvas.width;
        image.height = canvas.height;
        const ctx = image.getContext('2d');
        ctx.fillStyle = getComputedStyle(document.body).getPropertyValue('--mud-palette-surface').trim() || (state.dark ? '#1e1e2d' : '#ffffff');
        ctx.fillRect(0, 0, image.width, image.height);
        ctx.drawImage(canvas, 0, 0);
        const a = document.createElement('a');
        a.download = `${options.title.replace(/[^\w.-]+/g, '_')}.png`;
        a.href = image.toDataURL('image/png');
        a.click();
    };
    canvas.addEventListener('mousemove', e => onMove(state, e));
    canvas.addEventListener('mouseleave', () => { state.hover = null; state.tip.hidden = true; schedule(state); });
    canvas.addEventListener('mousedown', e => onDown(state, e));
    canvas.addEventListener('dblclick', () => zoomTo(state, null, null));
    state.onUp = e => onUp(state, e);
    window.addEventListener('mouseup', state.onUp);
    state.resize = new ResizeObserver(() => schedule(state));
    state.resize.observe(body);
    schedule(state);
}

/// Replaces every trace: [{ name, x, y, color, width, faint, of, band: { x, lo, hi } }]; x are numbers (unix ms on a time
/// axis). A faint trace (the raw line under a smoothed one) has no legend entry and is hidden with the line it is `of`.
export function setData(el, traces, axis) {
    const state = el.chart;
    if (!state) return;
    state.traces = traces;
    state.xTitle = axis.title;
    state.time = axis.time;
    if (axis.resetZoom) {
        state.xRange = null;
        state.reset.hidden = true;
    }
    renderLegend(state);
    schedule(state);
}

/// Appends live points: [{ index, x: [...], y: [...] }], drawn at the next frame.
export function extend(el, updates) {
    const state = el.chart;
    if (!state) return;
    let first = false;
    for (const u of updates) {
        const t = state.traces[u.index];
        if (!t) continue;
        first ||= t.x.length === 0;
        t.x.push(...u.x);
        t.y.push(...u.y);
    }
    if (first) renderLegend(state);   // a metric's first points: it joins the legend
    schedule(state);
}

export function setTheme(el, dark) {
    if (el.chart) { el.chart.dark = dark; schedule(el.chart); }
}

export function dispose(el) {
    const state = el.chart;
    if (!state) return;
    cancelAnimationFrame(state.frame);
    state.resize.disconnect();
    window.removeEventListener('mouseup', state.onUp);
    el.chart = null;
}

function div(cls, text) {
    const d = document.createElement('div');
    d.className = cls;
    if (text) d.textContent = text;
    return d;
}

function button(text, title) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'slip-chart-button';
    b.textContent = text;
    b.title = title;
    return b;
}

function renderLegend(state) {
    const items = state.traces.filter(t => !t.faint && t.x.length > 0);
    state.legend.replaceChildren(...items.map(t => {
        const b = button('', `Hide or show ${t.name}`);
        b.className = 'slip-chart-legend-item';
        b.setAttribute('aria-pressed', String(!state.hidden.has(t.name)));
        const swatch = document.createElement('span');
        swatch.className = 'slip-chart-swatch';
        swatch.style.background = t.color;
        b.append(swatch, document.createTextNode(t.name));
        b.onclick = () => {
            if (state.hidden.has(t.name)) state.hidden.delete(t.name); else state.hidden.add(t.name);
            b.setAttribute('aria-pressed', String(!state.hidden.has(t.name)));
            schedule(state);
        };
        return b;
    }));
}

// A line's faint raw companion is hidden with it ("loss (raw)" with "loss").
function visible(state, t) {
    return !state.hidden.has(t.name) && !(t.of && state.hidden.has(t.of));
}

function schedule(state) {
    if (state.frame) return;
    state.frame = requestAnimationFrame(() => {
        state.frame = 0;
        draw(state);
        state.el.dispatchEvent(new CustomEvent('slipchart:drawn'));
    });
}

function zoomTo(state, from, to) {
    state.xRange = from === null || to === null ? null : [Math.min(from, to), Math.max(from, to)];
    state.reset.hidden = state.xRange === null;
    schedule(state);
    state.dotnet.invokeMethodAsync('OnZoom', state.xRange ? state.xRange[0] : null, state.xRange ? state.xRange[1] : null).catch(() => { });
}

function extent(state) {
    let x0 = Infinity, x1 = -Infinity;
    for (const t of state.traces) {
        if (!visible(state, t) || t.x.length === 0) continue;
        x0 = Math.min(x0, t.x[0]);
        x1 = Math.max(x1, t.x[t.x.length - 1]);
    }
    if (state.xRange) [x0, x1] = state.xRange;
    if (!isFinite(x0)) [x0, x1] = [0, 1];
    if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
    let y0 = Infinity, y1 = -Infinity;
    const take = (xs, ys) => {
        const [a, b] = window_(xs, x0, x1);
        for (let i = a; i < b; i++) {
            const v = ys[i];
            if (v < y0) y0 = v;
            if (v > y1) y1 = v;
        }
    };
    for (const t of state.traces) {
        if (!visible(state, t)) continue;
        take(t.x, t.y);
        if (t.band) { take(t.band.x, t.band.lo); take(t.band.x, t.band.hi); }
    }
    for (const r of state.refLines) { y0 = Math.min(y0, r.y); y1 = Math.max(y1, r.y); }
    if (!isFinite(y0)) [y0, y1] = [0, 1];
    // A flat line, or one flat but for rounding (a span of a few ulps would give ticks no step), is drawn mid-height.
    const span = y1 - y0;
    const pad = span > Math.abs(y0) * 1e-9 ? span * 0.05 : Math.abs(y0) * 0.05 || 1;
    return { x0, x1, y0: y0 - pad, y1: y1 + pad };
}

// The index range of sorted xs within [x0, x1], widened by one point each side so lines run to the plot's edges.
function window_(xs, x0, x1) {
    const lo = Math.max(0, lowerBound(xs, x0) - 1);
    const hi = Math.min(xs.length, lowerBound(xs, x1) + 2);
    return [lo, hi];
}

function lowerBound(xs, v) {
    let lo = 0, hi = xs.length;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (xs[mid] < v) lo = mid + 1; else hi = mid;
    }
    return lo;
}

function niceStep(span, count) {
    const raw = span / Math.max(1, count);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / power;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * power;
}

const TimeSteps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800].map(s => s * 1000);

function ticks(a, b, count, time) {
    const step = time ? (TimeSteps.find(s => (b - a) / s <= count) ?? niceStep(b - a, count)) : niceStep(b - a, count);
    const out = [];
    if (!(step > 0) || !isFinite(a) || !isFinite(b) || a + step === a) return { values: out, step: 1 };
    // On a time axis ticks fall on whole local minutes, hours and days, also across a daylight-saving change.
    const offset = t => time ? new Date(t).getTimezoneOffset() * -60000 : 0;
    const first = Math.ceil((a + offset(a)) / step) * step - offset(a);
    for (let i = 0; i <= 2 * count + 2; i++) {
        const even = first + i * step;
        const v = even + offset(a) - offset(even);
        if (v > b + step * 1e-9) break;
        out.push(v);
    }
    return { values: out, step };
}

function formatNumber(v, step) {
    if (v === 0) return '0';
    const a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) return v.toExponential(Math.max(0, Math.min(6, Math.floor(Math.log10(a)) - Math.floor(Math.log10(step)))));
    const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
    return v.toFixed(decimals);
}

function formatTime(v, step) {
    const d = new Date(v);
    if (step >= 86400000) return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
    return d.toLocaleTimeString([], step < 60000 ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
}

function draw(state) {
    const { canvas } = state;
    const width = canvas.parentElement.clientWidth;
    const height = state.height;
    if (width === 0) return;
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
        canvas.width = Math.round(width * ratio);
        canvas.height = Math.round(height * ratio);
        canvas.style.width = `${width}px`;
        canvas.style.height = `${height}px`;
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const colours = state.dark ? Palette.dark : Palette.light;
    const plot = { left: Margin.left, top: Margin.top, width: width - Margin.left - Margin.right, height: height - Margin.top - Margin.bottom };
    const e = extent(state);
    state.scale = { plot, ...e };
    const px = x => plot.left + (x - e.x0) / (e.x1 - e.x0) * plot.width;
    const py = y => plot.top + (1 - (y - e.y0) / (e.y1 - e.y0)) * plot.height;

    // Grid, ticks and axis titles.
    ctx.font = '11px Roboto, Helvetica, Arial, sans-serif';
    ctx.lineWidth = 1;
    ctx.strokeStyle = colours.grid;
    ctx.fillStyle = colours.text;
    const xt = ticks(e.x0, e.x1, Math.max(2, Math.floor(plot.width / 90)), state.time);
    const yt = ticks(e.y0, e.y1, Math.max(2, Math.floor(plot.height / 45)), false);
    ctx.beginPath();
    for (const v of xt.values) { const x = Math.round(px(v)) + 0.5; ctx.moveTo(x, plot.top); ctx.lineTo(x, plot.top + plot.height); }
    for (const v of yt.values) { const y = Math.round(py(v)) + 0.5; ctx.moveTo(plot.left, y); ctx.lineTo(plot.left + plot.width, y); }
    ctx.stroke();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const v of xt.values) ctx.fillText(state.time ? formatTime(v, xt.step) : formatNumber(v, xt.step), px(v), plot.top + plot.height + 4);
    ctx.fillText(state.xTitle, plot.left + plot.width / 2, plot.top + plot.height + 20);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const v of yt.values) ctx.fillText(formatNumber(v, yt.step), plot.left - 6, py(v));

    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.left, plot.top, plot.width, plot.height);
    ctx.clip();
    for (const t of state.traces) {
        if (!visible(state, t) || !t.band) continue;
        const [a, b] = window_(t.band.x, e.x0, e.x1);
        if (b - a < 2) continue;
        ctx.beginPath();
        for (let i = a; i < b; i++) ctx.lineTo(px(t.band.x[i]), py(t.band.hi[i]));
        for (let i = b - 1; i >= a; i--) ctx.lineTo(px(t.band.x[i]), py(t.band.lo[i]));
        ctx.closePath();
        ctx.globalAlpha = 0.15;
        ctx.fillStyle = t.color;
        ctx.fill();
        ctx.globalAlpha = 1;
    }
    for (const t of state.traces) {
        if (!visible(state, t)) continue;
        const [a, b] = window_(t.x, e.x0, e.x1);
        ctx.strokeStyle = t.color;
        ctx.fillStyle = t.color;
        ctx.lineWidth = t.width || 2;
        ctx.globalAlpha = t.faint ? 0.3 : 1;
        ctx.beginPath();
        for (let i = a; i < b; i++) ctx.lineTo(px(t.x[i]), py(t.y[i]));
        ctx.stroke();
        if (!t.faint && b - a <= MarkersUpTo) {
            ctx.beginPath();
            for (let i = a; i < b; i++) { ctx.moveTo(px(t.x[i]) + 3, py(t.y[i])); ctx.arc(px(t.x[i]), py(t.y[i]), 3, 0, 2 * Math.PI); }
            ctx.fill();
        }
        ctx.globalAlpha = 1;
    }
    for (const r of state.refLines) {
        const y = Math.round(py(r.y)) + 0.5;
        ctx.strokeStyle = 'rgba(214, 39, 40, 0.7)';
        ctx.lineWidth = 1;
        ctx.setLineDash([5, 4]);
        ctx.beginPath();
        ctx.moveTo(plot.left, y);
        ctx.lineTo(plot.left + plot.width, y);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = colours.text;
        ctx.textAlign = 'right';
        ctx.textBaseline = 'bottom';
        ctx.fillText(r.label, plot.left + plot.width - 4, y - 2);
    }
    if (state.drag && Math.abs(state.drag.to - state.drag.from) > 1) {
        ctx.fillStyle = state.dark ? 'rgba(255,255,255,0.12)' : 'rgba(0,0,0,0.08)';
        ctx.fillRect(Math.min(state.drag.from, state.drag.to), plot.top, Math.abs(state.drag.to - state.drag.from), plot.height);
    }
    if (state.hover) {
        const x = Math.round(px(state.hover.x)) + 0.5;
        ctx.strokeStyle = colours.axis;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(x, plot.top);
        ctx.lineTo(x, plot.top + plot.height);
        ctx.stroke();
    }
    ctx.restore();
    ctx.strokeStyle = colours.axis;
    ctx.strokeRect(plot.left + 0.5, plot.top + 0.5, plot.width - 1, plot.height - 1);
}

function toX(state, clientX) {
    const s = state.scale;
    if (!s) return null;
    const rect = state.canvas.getBoundingClientRect();
    const px = clientX - rect.left;
    const clamped = Math.min(Math.max(px, s.plot.left), s.plot.left + s.plot.width);   // a drag let go outside ends at the edge
    return { px: clamped, x: s.x0 + (clamped - s.plot.left) / s.plot.width * (s.x1 - s.x0), inside: px === clamped };
}

function onDown(state, e) {
    const at = toX(state, e.clientX);
    if (!at || !at.inside || e.button !== 0) return;
    state.drag = { from: at.px, to: at.px, x0: at.x };
    e.preventDefault();
}

function onUp(state, e) {
    const drag = state.drag;
    if (!drag) return;
    state.drag = null;
    const at = toX(state, e.clientX);
    if (at && Math.abs(at.px - drag.from) > 5) zoomTo(state, drag.x0, at.x); else schedule(state);
}

function onMove(state, e) {
    const at = toX(state, e.clientX);
    if (!at) return;
    if (state.drag) { state.drag.to = at.px; schedule(state); return; }
    if (!at.inside) { state.hover = null; state.tip.hidden = true; schedule(state); return; }
    // The nearest point of each shown line, listed in the read-out.
    const rows = [];
    let nearest = null;
    for (const t of state.traces) {
        if (!visible(state, t) || t.faint || t.x.length === 0) continue;
        let i = lowerBound(t.x, at.x);
        if (i > 0 && (i === t.x.length || at.x - t.x[i - 1] < t.x[i] - at.x)) i--;
        nearest ??= t.x[i];
        rows.push(`<span style="color:${t.color}">●</span> ${escape(t.name)}: ${formatValue(t.y[i])}`);
    }
    if (nearest === null) { state.hover = null; state.tip.hidden = true; schedule(state); return; }
    state.hover = { x: nearest };
    const label = state.time ? new Date(nearest).toLocaleString() : `${state.xTitle} ${formatValue(nearest)}`;
    state.tip.innerHTML = `<div>${escape(label)}</div>${rows.map(r => `<div>${r}</div>`).join('')}`;
    state.tip.hidden = false;
    const left = Math.min(at.px + 12, state.canvas.clientWidth - state.tip.offsetWidth - 4);
    state.tip.style.left = `${Math.max(0, left)}px`;
    state.tip.style.top = `${Margin.top + 4}px`;
    schedule(state);
}

function formatValue(v) {
    return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

function escape(s) {
    return String(s).replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}
