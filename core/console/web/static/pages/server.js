// Server: health, build, memory and the API's traffic by route, refreshed
// every 5 seconds while the page is open.
import { panel } from '../api.js';
import { h, table, fmtBytes, put } from '../ui.js';

export async function render(main) {
  const body = h('div');
  put(main, h('h1', {}, 'Server'), body);
  const draw = async () => {
    const s = await panel('server');
    const stat = (label, value) => h('div', { class: 'stat' }, h('span', { class: 'muted' }, label), h('b', {}, value));
    body.replaceChildren(
      h('div', { class: 'grid' },
        stat('Health', s.ready ? 'ready' : 'not ready'), stat('Version', s.version), stat('Uptime', dur(s.uptimeSeconds)),
        stat('Requests', s.requests ?? '–'), stat('In flight', s.inFlight ?? '–'), stat('Goroutines', s.goroutines),
        stat('Heap', fmtBytes(s.heapBytes)), stat('Memory from the OS', fmtBytes(s.sysBytes))),
      ...(s.readyError ? [h('p', { class: 'bad', role: 'alert' }, s.readyError)] : []),
      h('p', { class: 'muted' }, 'App ', s.appId, ' · API ', s.serverURL, s.metricsPath ? ' · Prometheus metrics at ' + s.metricsPath : ''),
      h('h2', {}, 'API routes'),
      table(['Route', 'Requests', 'Errors', 'Mean time'], (s.routes || []).map((r) => h('tr', {},
        h('td', {}, r.route), h('td', {}, r.requests), h('td', {}, r.errors), h('td', {}, r.meanMs.toFixed(2) + ' ms')))));
  };
  await draw();
  const timer = setInterval(() => draw().catch(() => {}), 5000);
  return () => clearInterval(timer);
}

function dur(s) {
  const d = Math.floor(s / 86400), hh = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
  return (d ? d + 'd ' : '') + (d || hh ? hh + 'h ' : '') + m + 'm ' + (s % 60) + 's';
}
