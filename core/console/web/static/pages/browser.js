// The data browser: pages of a class's objects, a filter builder, inline
// editing with an editor per type, bulk delete, and CSV/JSON import and
// export with a progress bar. Users, roles and sessions reuse it.
import { api, batch, schemas, session } from '../api.js';
import { h, field, select, card, guard, toast, dialog, confirmDialog, download, readFile, put } from '../ui.js';
import { show, fromText, toText, editor } from '../values.js';
import { parseCSV, toCSV } from '../csv.js';

const PAGE = 50;
const BASE_FIELDS = { objectId: { type: 'String' }, createdAt: { type: 'Date' }, updatedAt: { type: 'Date' }, ACL: { type: 'ACL' } };
const SYSTEM_FIELDS = {
  _User: { username: { type: 'String' }, email: { type: 'String' }, emailVerified: { type: 'Boolean' } },
  _Role: { name: { type: 'String' }, users: { type: 'Relation', targetClass: '_User' }, roles: { type: 'Relation', targetClass: '_Role' } },
  _Session: { user: { type: 'Pointer', targetClass: '_User' }, sessionToken: { type: 'String' }, expiresAt: { type: 'Date' }, installationId: { type: 'String' }, createdWith: { type: 'Object' } },
};
const READONLY_FIELDS = new Set(['objectId', 'createdAt', 'updatedAt', 'authData', 'sessionToken', 'emailVerified']);
const OPERATORS = [['eq', 'equals'], ['ne', 'is not'], ['lt', '<'], ['lte', '≤'], ['gt', '>'], ['gte', '≥'],
  ['contains', 'contains'], ['exists', 'exists'], ['missing', 'does not exist'], ['in', 'is one of (comma-separated)']];

export async function render(main, [className]) {
  const list = await schemas(true);
  if (!className) {
    put(main, h('h1', {}, 'Data browser'), h('ul', {}, list.map((s) => h('li', {}, h('a', { href: '#/browser/' + encodeURIComponent(s.className) }, s.className)))));
    return;
  }
  const pick = select(list.map((s) => s.className), className, { name: 'class' });
  pick.addEventListener('change', () => { location.hash = '#/browser/' + encodeURIComponent(pick.value); });
  put(main, h('h1', {}, 'Data browser: ' + className), h('div', { class: 'row' }, field('Class', pick),
    h('a', { href: '#/classes/' + encodeURIComponent(className) }, 'Edit the schema')));
  return browser(main, className);
}

// browser renders the browser of one class into el. opts.toolbar adds
// buttons of the page that embeds it (new user, new role).
export async function browser(el, className, opts = {}) {
  const schema = await api.get('/schemas/' + encodeURIComponent(className)).catch((e) => {
    // A system class has no stored schema until its first object.
    if (e.code === 103 && SYSTEM_FIELDS[className]) return { fields: { ...BASE_FIELDS, ...SYSTEM_FIELDS[className] } };
    throw e;
  });
  const fields = schema.fields;
  const names = ['objectId', ...Object.keys(fields).filter((n) => !['objectId', 'createdAt', 'updatedAt', 'ACL'].includes(n)), 'createdAt', 'updatedAt', 'ACL']
    .filter((n) => fields[n] && fields[n].type !== 'Relation' || n === 'objectId');
  const ro = session.readOnly;
  const path = '/classes/' + encodeURIComponent(className);
  let skip = 0, total = 0, where = {}, rows = [];
  const selected = new Set();

  // ---- filter builder ----
  const filters = h('div', { class: 'filters' });
  const addFilter = () => {
    const f = select(names, names[0], { 'aria-label': 'Filter field' });
    const op = select(OPERATORS, 'eq', { 'aria-label': 'Filter operator' });
    const val = h('input', { type: 'text', 'aria-label': 'Filter value' });
    const row = h('div', { class: 'row filter' }, f, op, val, h('button', { type: 'button', 'aria-label': 'Remove filter', onclick: () => row.remove() }, '×'));
    row.read = () => ({ field: f.value, op: op.value, value: val.value });
    filters.append(row);
    f.focus();
  };
  const whereText = h('input', { type: 'text', name: 'where', placeholder: '{"score": {"$gt": 10}}', size: 40 });
  const buildWhere = () => {
    const w = whereText.value.trim() ? JSON.parse(whereText.value) : {};
    const and = [];
    for (const row of filters.querySelectorAll('.filter')) {
      const { field: name, op, value } = row.read();
      const f = fields[name] || { type: 'String' };
      const v = () => fromText(value, f);
      const c = { eq: () => v(), ne: () => ({ $ne: v() }), lt: () => ({ $lt: v() }), lte: () => ({ $lte: v() }), gt: () => ({ $gt: v() }),
        gte: () => ({ $gte: v() }), contains: () => ({ $regex: value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') }),
        exists: () => ({ $exists: true }), missing: () => ({ $exists: false }),
        in: () => ({ $in: value.split(',').map((x) => fromText(x.trim(), f)) }) }[op]();
      and.push({ [name]: c });
    }
    if (!and.length) return w;
    return Object.keys(w).length ? { $and: [w, ...and] } : (and.length === 1 ? and[0] : { $and: and });
  };

  // ---- table ----
  const status = h('span', { class: 'muted', role: 'status' });
  const thead = h('thead');
  const tbody = h('tbody');
  const grid = h('table', { class: 'data', 'aria-label': 'Objects of ' + className, 'aria-busy': 'false' }, thead, tbody);
  const all = h('input', { type: 'checkbox', 'aria-label': 'Select all rows on this page',
    onchange: (ev) => { for (const r of rows) { if (ev.target.checked) selected.add(r.objectId); else selected.delete(r.objectId); } draw(); } });
  thead.append(h('tr', {}, h('th', { scope: 'col' }, all), names.map((n) => h('th', { scope: 'col' }, n, ' ', h('small', {}, fields[n]?.type || '')))));
  const draw = () => {
    tbody.replaceChildren(...rows.map((o) => h('tr', { 'data-id': o.objectId },
      h('td', {}, h('input', { type: 'checkbox', checked: selected.has(o.objectId), 'aria-label': 'Select ' + o.objectId,
        onchange: (ev) => { if (ev.target.checked) selected.add(o.objectId); else selected.delete(o.objectId); } })),
      names.map((n) => {
        const editable = !ro && !READONLY_FIELDS.has(n);
        const text = show(o[n], fields[n]?.type);
        if (!editable) return h('td', { title: text }, text);
        const td = h('td', { class: 'editable', tabindex: '0', title: text, 'data-field': n, 'aria-label': n + ': ' + (text || 'empty') + '. Press Enter to edit.' }, text);
        const open = () => editCell(o, n);
        td.addEventListener('dblclick', open);
        td.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter' || ev.key === 'F2') { ev.preventDefault(); open(); return; }
          const next = move(td, ev.key);
          if (next) { ev.preventDefault(); next.focus(); }
        });
        return td;
      }))));
    if (!rows.length) tbody.append(h('tr', {}, h('td', { colspan: names.length + 1, class: 'muted' }, 'No objects match.')));
    status.textContent = total ? `${skip + 1}–${skip + rows.length} of ${total}` : '0 objects';
    prev.disabled = skip === 0;
    next.disabled = skip + PAGE >= total;
  };
  // move finds the editable cell an arrow key goes to from td.
  const move = (td, key) => {
    const tr = td.parentElement;
    const col = [...tr.children].indexOf(td);
    const at = (row, c) => (row?.children[c]?.classList.contains('editable') ? row.children[c] : null);
    const step = (n, dir) => { while (n && !n.classList.contains('editable')) n = n[dir]; return n; };
    switch (key) {
      case 'ArrowRight': return step(td.nextElementSibling, 'nextElementSibling');
      case 'ArrowLeft': return step(td.previousElementSibling, 'previousElementSibling');
      case 'ArrowDown': return at(tr.nextElementSibling, col);
      case 'ArrowUp': return at(tr.previousElementSibling, col);
    }
    return null;
  };
  const load = async () => {
    const res = await api.get(path, { where: Object.keys(where).length ? where : undefined, limit: PAGE, skip, count: 1, order: '-createdAt' });
    rows = res.results;
    total = res.count;
    draw();
  };
  const editCell = async (o, n) => {
    const f = fields[n] || { type: 'Object' };
    const ed = await editor(n, f, o[n]);
    const clear = h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'clear' }), 'Remove the value');
    const saved = await dialog('Edit ' + n + ' of ' + o.objectId, h('div', {}, ed.body, clear), {
      onOk: async () => {
        const v = clear.querySelector('input').checked ? undefined : await ed.read();
        await api.put(path + '/' + o.objectId, { [n]: v === undefined ? { __op: 'Delete' } : v });
        // Busy until the rows are redrawn and the edited cell has the focus again.
        grid.setAttribute('aria-busy', 'true');
        return true;
      },
    });
    if (!saved) return;
    toast('Saved ' + n);
    try {
      await load();
      tbody.querySelector(`tr[data-id="${o.objectId}"] td[data-field="${n}"]`)?.focus();
    } finally { grid.setAttribute('aria-busy', 'false'); }
  };

  const prev = h('button', { type: 'button', onclick: () => { skip = Math.max(0, skip - PAGE); guard(load); } }, '← Previous');
  const next = h('button', { type: 'button', onclick: () => { skip += PAGE; guard(load); } }, 'Next →');
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Import or export progress' });
  const progressText = h('span', { class: 'muted', role: 'status' });
  const setProgress = (done, of, verb) => {
    progress.hidden = false; progress.max = of || 1; progress.value = done;
    progressText.textContent = `${verb} ${done} of ${of}`;
  };

  const fileInput = h('input', { type: 'file', accept: '.csv,.json,text/csv,application/json', name: 'import' });
  const importFile = async () => {
    const file = fileInput.files[0];
    if (!file) throw new Error('choose a CSV or JSON file first');
    const text = await readFile(file);
    let objects;
    if (/\.json$/i.test(file.name) || /^\s*[[{]/.test(text)) {
      const data = JSON.parse(text);
      objects = Array.isArray(data) ? data : data.results;
      if (!Array.isArray(objects)) throw new Error('a JSON import is an array of objects, or {"results": [...]}');
    } else {
      const [header, ...lines] = parseCSV(text);
      objects = lines.map((cells, i) => {
        const o = {};
        header.forEach((col, j) => {
          try {
            const v = fromText(cells[j], fields[col] || { type: 'String' });
            if (v !== undefined) o[col] = v;
          } catch (e) { throw new Error(`line ${i + 2}, column ${col}: ${e.message}`); }
        });
        return o;
      });
    }
    const requests = objects.map((o) => {
      const body = { ...o };
      for (const k of ['objectId', 'createdAt', 'updatedAt']) delete body[k];
      return { method: 'POST', path, body };
    });
    setProgress(0, requests.length, 'Imported');
    const results = await batch(requests, (d, of) => setProgress(d, of, 'Imported'));
    const failed = results.filter((r) => r.error);
    toast(`Imported ${results.length - failed.length} of ${requests.length}` + (failed.length ? `; first error: ${failed[0].error.error}` : ''), failed.length ? 'error' : undefined);
    await load();
  };
  const exportAll = async (kind) => {
    const out = [];
    const count = (await api.get(path, { where: Object.keys(where).length ? where : undefined, limit: 0, count: 1 })).count;
    for (let s = 0; s < count; s += 1000) {
      const res = await api.get(path, { where: Object.keys(where).length ? where : undefined, limit: 1000, skip: s, order: 'createdAt,objectId' });
      out.push(...res.results);
      setProgress(out.length, count, 'Exported');
      if (!res.results.length) break;
    }
    if (kind === 'json') download(className + '.json', JSON.stringify({ results: out }, null, 2), 'application/json');
    else download(className + '.csv', toCSV([names, ...out.map((o) => names.map((n) => toText(o[n], fields[n])))]), 'text/csv');
  };
  const deleteSelected = async () => {
    if (!selected.size) throw new Error('select rows first');
    if (!await confirmDialog(`Delete ${selected.size} objects`, 'They are deleted for good.')) return;
    const res = await batch([...selected].map((id) => ({ method: 'DELETE', path: path + '/' + id })));
    const failed = res.filter((r) => r.error).length;
    toast(`Deleted ${res.length - failed}` + (failed ? `, ${failed} failed` : ''), failed ? 'error' : undefined);
    selected.clear();
    await load();
  };

  el.append(
    card('Filter',
      filters,
      h('div', { class: 'row' },
        h('button', { type: 'button', onclick: addFilter }, '+ Add a condition'),
        field('and a where (JSON)', whereText),
        h('button', { class: 'primary', type: 'button', onclick: () => guard(async () => { where = buildWhere(); skip = 0; await load(); }) }, 'Apply filter'),
        h('button', { type: 'button', onclick: () => { filters.replaceChildren(); whereText.value = ''; where = {}; skip = 0; guard(load); } }, 'Clear'))),
    h('div', { class: 'row', role: 'toolbar', 'aria-label': 'Rows' },
      ro || opts.noAdd ? null : h('button', { class: 'primary', type: 'button', onclick: () => guard(async () => {
        const created = await api.post(path, {});
        toast('Row ' + created.objectId + ' added'); skip = 0; await load();
      }) }, 'Add a row'),
      ro ? null : h('button', { class: 'danger', type: 'button', onclick: () => guard(deleteSelected) }, 'Delete selected'),
      ...(opts.toolbar ? opts.toolbar(load) : []),
      h('button', { type: 'button', onclick: () => guard(() => exportAll('csv')) }, 'Export CSV'),
      h('button', { type: 'button', onclick: () => guard(() => exportAll('json')) }, 'Export JSON'),
      ro ? null : field('Import CSV or JSON', fileInput),
      ro ? null : h('button', { type: 'button', onclick: () => guard(importFile) }, 'Import'),
      progress, progressText),
    h('div', { class: 'scroll' }, grid),
    h('div', { class: 'row' }, prev, next, status));
  await load();
}
