// Config: Parse's config parameters (GET/PUT /config).
import { api, session } from '../api.js';
import { h, field, card, guard, toast, table, put } from '../ui.js';

export async function render(main) {
  const cfg = await api.get('/config');
  const params = cfg.params || {};
  const ro = session.readOnly;
  const name = h('input', { type: 'text', required: true });
  const value = h('input', { type: 'text', required: true, placeholder: 'JSON: 42, "text", {"a": 1}' });
  const save = (body) => guard(async () => { await api.put('/config', body); toast('Config saved'); main.replaceChildren(); await render(main); });
  put(main, h('h1', {}, 'Config'),
    table(['Parameter', 'Value', ''], Object.entries(params).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, JSON.stringify(v)),
      h('td', {}, ro ? '' : h('button', { type: 'button', class: 'danger', onclick: () => save({ params: { [k]: { __op: 'Delete' } } }) }, 'Delete'))))),
    ro ? null : card('Set a parameter', h('form', { class: 'row', onsubmit: (ev) => { ev.preventDefault();
      let v;
      try { v = JSON.parse(value.value); } catch { v = value.value; }
      save({ params: { [name.value]: v } });
    } }, field('Name', name), field('Value', value), h('button', { class: 'primary', type: 'submit' }, 'Save'))));
}
