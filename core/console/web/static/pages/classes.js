// Classes: the list, creating a class, and one class's schema: fields with
// their types, indexes, class-level permissions and protected fields.
import { api, schemas, forgetSchemas, session } from '../api.js';
import { h, field, select, card, table, guard, toast, confirmDialog, page, put } from '../ui.js';

export const TYPES = ['String', 'Number', 'Boolean', 'Date', 'Object', 'Array', 'GeoPoint', 'File', 'Pointer', 'Relation', 'Polygon', 'Bytes'];
const BUILTIN = new Set(['objectId', 'createdAt', 'updatedAt', 'ACL']);
const OPS = ['get', 'find', 'count', 'create', 'update', 'delete', 'addField'];

export async function render(main, [className]) {
  if (className) return renderClass(main, className);
  const list = await schemas(true);
  const name = h('input', { type: 'text', required: true, pattern: '[A-Za-z][A-Za-z0-9_]*', placeholder: 'GameScore' });
  const counts = await Promise.all(list.map((s) => api.get('/classes/' + encodeURIComponent(s.className), { count: 1, limit: 0 })
    .then((r) => r.count, () => '?')));
  put(main, ...page('Classes',
    session.readOnly ? null : card('Create a class',
      h('form', { class: 'row', onsubmit: (ev) => { ev.preventDefault(); guard(async () => {
        await api.post('/schemas/' + encodeURIComponent(name.value), { className: name.value, fields: {} });
        forgetSchemas();
        toast('Class ' + name.value + ' created');
        location.hash = '#/classes/' + encodeURIComponent(name.value);
      }); } }, field('Class name', name), h('button', { class: 'primary', type: 'submit' }, 'Create class'))),
    table(['Class', 'Fields', 'Objects', ''], list.map((s, i) => h('tr', {},
      h('td', {}, h('a', { href: '#/classes/' + encodeURIComponent(s.className) }, s.className)),
      h('td', {}, Object.keys(s.fields).length),
      h('td', {}, counts[i]),
      h('td', {}, h('a', { href: '#/browser/' + encodeURIComponent(s.className) }, 'Browse data')))))));
}

async function renderClass(main, className) {
  const s = await api.get('/schemas/' + encodeURIComponent(className));
  const all = await schemas();
  const ro = session.readOnly;
  const reload = () => { forgetSchemas(); main.replaceChildren(); return renderClass(main, className); };
  const update = (body, msg) => guard(async () => { await api.put('/schemas/' + encodeURIComponent(className), { className, ...body }); toast(msg); await reload(); });

  // Fields
  const fieldRows = Object.entries(s.fields).map(([name, f]) => h('tr', {},
    h('td', {}, name), h('td', {}, f.type, f.targetClass ? ' → ' + f.targetClass : ''),
    h('td', {}, f.required ? 'required' : ''), h('td', {}, f.defaultValue !== undefined ? JSON.stringify(f.defaultValue) : ''),
    h('td', {}, BUILTIN.has(name) || ro ? '' : h('button', { class: 'danger', type: 'button', 'aria-label': 'Remove field ' + name,
      onclick: async () => { if (await confirmDialog('Remove field ' + name, 'Its values are deleted from every object.', 'Remove')) update({ fields: { [name]: { __op: 'Delete' } } }, 'Field removed'); } }, 'Remove'))));
  const fname = h('input', { type: 'text', required: true, pattern: '[A-Za-z][A-Za-z0-9_]*', name: 'fieldName' });
  const ftype = select(TYPES, 'String', { name: 'fieldType' });
  const targets = [...new Set(['_User', '_Role', '_Installation', '_Session', ...all.map((c) => c.className)])];
  const target = select(targets, '_User', { name: 'targetClass' });
  const targetLabel = field('Target class', target);
  const required = h('input', { type: 'checkbox' });
  const syncTarget = () => { targetLabel.hidden = !['Pointer', 'Relation'].includes(ftype.value); };
  ftype.addEventListener('change', syncTarget);
  syncTarget();
  const addField = ro ? null : h('form', { class: 'row', 'aria-label': 'Add a field', onsubmit: (ev) => { ev.preventDefault();
    const f = { type: ftype.value };
    if (!targetLabel.hidden) f.targetClass = target.value;
    if (required.checked) f.required = true;
    update({ fields: { [fname.value]: f } }, 'Field ' + fname.value + ' added');
  } }, field('Field name', fname), field('Type', ftype), targetLabel, h('label', { class: 'inline' }, required, 'Required'),
  h('button', { class: 'primary', type: 'submit' }, 'Add field'));

  // Indexes
  const idx = Object.entries(s.indexes || {});
  const iname = h('input', { type: 'text', required: true, name: 'indexName' });
  const ifield = select(Object.keys(s.fields), Object.keys(s.fields)[0], { name: 'indexField' });
  const idir = select([['1', 'ascending'], ['-1', 'descending']], '1');
  const indexes = card('Indexes', table(['Name', 'Keys', ''], idx.map(([n, keys]) => h('tr', {}, h('td', {}, n), h('td', {}, JSON.stringify(keys)),
    h('td', {}, n === '_id_' || ro ? '' : h('button', { class: 'danger', type: 'button', 'aria-label': 'Drop index ' + n,
      onclick: () => update({ indexes: { [n]: { __op: 'Delete' } } }, 'Index dropped') }, 'Drop'))))),
  ro ? null : h('form', { class: 'row', 'aria-label': 'Add an index', onsubmit: (ev) => { ev.preventDefault();
    update({ indexes: { [iname.value]: { [ifield.value]: Number(idir.value) } } }, 'Index added'); } },
  field('Index name', iname), field('Field', ifield), field('Order', idir), h('button', { type: 'submit' }, 'Add index')));

  put(main, ...page('Class ' + className,
    h('p', {}, h('a', { href: '#/classes' }, '← All classes'), ' · ', h('a', { href: '#/browser/' + encodeURIComponent(className) }, 'Browse data')),
    card('Fields', table(['Field', 'Type', '', 'Default', ''], fieldRows), addField),
    indexes,
    clpEditor(s, ro, update),
    ro ? null : card('Danger zone', h('div', { class: 'row' },
      h('button', { class: 'danger', type: 'button', onclick: async () => {
        if (!await confirmDialog('Delete all objects of ' + className, 'Every object of the class is deleted. The schema stays.')) return;
        await guard(async () => { await api.del('/purge/' + encodeURIComponent(className)); toast('Objects deleted'); });
      } }, 'Delete all objects'),
      h('button', { class: 'danger', type: 'button', onclick: async () => {
        if (!await confirmDialog('Delete class ' + className, 'The class must have no objects left.')) return;
        await guard(async () => {
          await api.del('/schemas/' + encodeURIComponent(className));
          forgetSchemas(); toast('Class deleted'); location.hash = '#/classes';
        });
      } }, 'Delete class')))));
}

// clpEditor is a grid of operations by who (public, signed-in users,
// roles, users), plus the protected fields of each.
function clpEditor(s, ro, update) {
  const clp = structuredClone(s.classLevelPermissions || {});
  const who = new Set(['*']);
  for (const op of OPS) for (const k of Object.keys(clp[op] || {})) if (k !== 'pointerFields') who.add(k);
  for (const k of Object.keys(clp.protectedFields || {})) who.add(k);
  const tbody = h('tbody');
  const protectedInputs = new Map();
  const addRow = (w) => {
    const label = w === '*' ? 'Public (*)' : w;
    const pf = h('input', { type: 'text', value: (clp.protectedFields?.[w] || []).join(', '), disabled: ro, 'aria-label': 'Protected fields for ' + label });
    protectedInputs.set(w, pf);
    tbody.append(h('tr', {}, h('th', { scope: 'row' }, label),
      OPS.map((op) => h('td', {}, h('input', { type: 'checkbox', disabled: ro, checked: Boolean(clp[op]?.[w]), 'aria-label': op + ' for ' + label,
        onchange: (ev) => { clp[op] = clp[op] || {}; if (ev.target.checked) clp[op][w] = true; else delete clp[op][w]; } }))),
      h('td', {}, pf)));
  };
  for (const w of who) addRow(w);
  const newWho = h('input', { type: 'text', placeholder: 'role:admin, requiresAuthentication, or a user id' });
  return card('Class-level permissions and protected fields',
    h('div', { class: 'scroll' }, h('table', { class: 'clp' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Who'), OPS.map((o) => h('th', { scope: 'col' }, o)), h('th', { scope: 'col' }, 'Protected fields (comma-separated)'))), tbody)),
    ro ? null : h('div', { class: 'row' },
      field('Add who', newWho),
      h('button', { type: 'button', onclick: () => { const w = newWho.value.trim(); if (w && !who.has(w)) { who.add(w); addRow(w); } newWho.value = ''; } }, 'Add row'),
      h('button', { class: 'primary', type: 'button', onclick: () => {
        const pfs = {};
        for (const [w, input] of protectedInputs) {
          const list = input.value.split(',').map((x) => x.trim()).filter(Boolean);
          if (list.length) pfs[w] = list;
        }
        clp.protectedFields = pfs;
        update({ classLevelPermissions: clp }, 'Permissions saved');
      } }, 'Save permissions')));
}
