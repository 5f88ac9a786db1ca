// Analytics: new devices and users, DAU/WAU/MAU, a retention heat map and
// the events, from GET /analytics/:report. Charts are plain SVG drawn
// here: a chart library would be the console's largest file by far.
import { api } from '../api.js';
import { h, field, select, card, guard, table, put } from '../ui.js';

const NS = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const COLORS = ['#2454d6', '#e07b00', '#137333', '#b42318'];

// chart draws one line per series over the dates, with a legend and a
// table of the same numbers for screen readers.
function chart(title, dates, series) {
  const W = 720, H = 200, P = 32;
  const max = Math.max(1, ...series.flatMap((x) => x.values));
  const x = (i) => P + (dates.length < 2 ? 0 : (i * (W - 2 * P)) / (dates.length - 1));
  const y = (v) => H - P - (v * (H - 2 * P)) / max;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-label': title },
    s('line', { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: '#999' }),
    s('text', { x: 2, y: P, 'font-size': 11, fill: '#555' }, max),
    s('text', { x: P, y: H - 8, 'font-size': 11, fill: '#555' }, dates[0] || ''),
    s('text', { x: W - P, y: H - 8, 'font-size': 11, fill: '#555', 'text-anchor': 'end' }, dates[dates.length - 1] || ''),
    series.map((ser, k) => s('polyline', { fill: 'none', stroke: COLORS[k % COLORS.length], 'stroke-width': 2,
      points: ser.values.map((v, i) => `${x(i)},${y(v)}`).join(' ') })));
  const legend = h('p', {}, series.map((ser, k) => h('span', { class: 'legend' }, h('span', { class: 'swatch c' + k }), ser.name, ' ')));
  const numbers = h('details', {}, h('summary', {}, 'Numbers'),
    table(['Date', ...series.map((x) => x.name)], dates.map((d, i) => h('tr', {}, h('td', {}, d), series.map((ser) => h('td', {}, ser.values[i]))))));
  return card(title, svg, legend, numbers);
}

function heat(rows, ns) {
  const cell = (r, n) => {
    const v = r.classic?.[n];
    if (v === undefined || !r.cohort) return h('td', { class: 'muted' }, '');
    const pct = r.cohort ? (100 * v) / r.cohort : 0;
    const td = h('td', { title: `${v} of ${r.cohort}` }, pct.toFixed(1) + '%');
    td.style.background = `rgba(36, 84, 214, ${Math.min(1, pct / 60).toFixed(2)})`;
    if (pct > 35) td.style.color = '#fff';
    return td;
  };
  return card('Retention (classic, share of each day\'s new devices active on day N)',
    table(['Cohort', 'New', ...ns.map((n) => 'Day ' + n)], rows.map((r) => h('tr', {}, h('td', {}, r.date), h('td', {}, r.cohort), ns.map((n) => cell(r, n))))));
}

export async function render(main) {
  const days = select([['7', '7 days'], ['30', '30 days'], ['90', '90 days']], '30', { name: 'days' });
  const of = select([['devices', 'devices'], ['users', 'users']], 'devices', { name: 'of' });
  const body = h('div');
  const draw = async () => {
    const q = { days: days.value, of: of.value };
    const [fresh, active, retention, events] = await Promise.all([
      api.get('/analytics/new', { days: days.value }), api.get('/analytics/active', q),
      api.get('/analytics/retention', { ...q, n: '1,3,7,14,30' }), api.get('/analytics/events', { days: days.value })]);
    const dates = active.results.map((r) => r.date);
    const maxCount = Math.max(1, ...events.results.map((e) => e.count));
    body.replaceChildren(
      chart('New devices and users', fresh.results.map((r) => r.date), [
        { name: 'new devices', values: fresh.results.map((r) => r.devices) }, { name: 'new users', values: fresh.results.map((r) => r.users) }]),
      chart('Active ' + of.value + ': DAU, WAU, MAU (rolling)', dates, [
        { name: 'DAU', values: active.results.map((r) => r.dau) }, { name: 'WAU (7 days)', values: active.results.map((r) => r.wauRolling7d) },
        { name: 'MAU (30 days)', values: active.results.map((r) => r.mauRolling30d) }]),
      heat(retention.results, ['1', '3', '7', '14', '30']),
      card('Events', table(['Event', 'Count', '', 'Devices', 'Users'], events.results.map((e) => {
        const bar = h('span', { class: 'bar' });
        bar.style.width = Math.round((200 * e.count) / maxCount) + 'px';
        return h('tr', {}, h('td', {}, e.key ?? e.name), h('td', {}, e.count), h('td', {}, bar), h('td', {}, e.devices), h('td', {}, e.users));
      }))));
  };
  put(main, h('h1', {}, 'Analytics'),
    h('div', { class: 'row' }, field('Period', days), field('Count', of), h('button', { type: 'button', onclick: () => guard(draw) }, 'Show')), body);
  await draw();
}
