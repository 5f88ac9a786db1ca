// Providers: each configured provider and whether it works.
import { panel } from '../api.js';
import { h, table, put } from '../ui.js';

export async function render(main) {
  const list = await panel('providers');
  put(main, h('h1', {}, 'Providers'),
    table(['Kind', 'Provider', 'Status', 'Detail'], list.map((p) => h('tr', {},
      h('td', {}, p.kind), h('td', {}, p.provider), h('td', {}, h('span', { class: 'pill ' + (p.status === 'ok' ? 'ok' : p.status === 'off' ? 'off' : 'bad') }, p.status)),
      h('td', {}, p.detail || '')))));
}
