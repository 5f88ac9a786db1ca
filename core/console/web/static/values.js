// Parse's typed values: how the console shows them, turns text into them
// (filters, CSV import) and edits them (one editor per type).
import { api } from './api.js';
import { h, field, select } from './ui.js';

export function show(v, type) {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'object') return String(v);
  switch (v.__type) {
    case 'Date': return v.iso;
    case 'Pointer': return v.className + ':' + v.objectId;
    case 'File': return v.name;
    case 'GeoPoint': return '(' + v.latitude + ', ' + v.longitude + ')';
    case 'Relation': return 'relation of ' + v.className;
  }
  if (type === 'ACL') return aclSummary(v);
  return JSON.stringify(v);
}

export function aclSummary(acl) {
  const parts = Object.entries(acl).map(([who, p]) => (who === '*' ? 'public' : who) + ':' + (p.read ? 'r' : '') + (p.write ? 'w' : ''));
  return parts.length ? parts.join(' ') : '(master key only)';
}

// fromText reads a value typed as text (a filter, a CSV cell) as the
// field's type; '' is "no value".
export function fromText(text, f) {
  if (text === '' || text === undefined) return undefined;
  switch (f && f.type) {
    case 'Number': { const n = Number(text); if (Number.isNaN(n)) throw new Error('not a number: ' + text); return n; }
    case 'Boolean': return /^(true|1|yes)$/i.test(text);
    case 'Date': { const d = new Date(text); if (Number.isNaN(d.getTime())) throw new Error('not a date: ' + text); return { __type: 'Date', iso: d.toISOString() }; }
    case 'Pointer': return { __type: 'Pointer', className: f.targetClass, objectId: text.includes(':') ? text.split(':').pop() : text };
    case 'GeoPoint': { const [lat, lng] = text.replace(/[()]/g, '').split(',').map(Number); return { __type: 'GeoPoint', latitude: lat, longitude: lng }; }
    case 'File': return { __type: 'File', name: text };
    case 'Object': case 'Array': case 'ACL': case 'Polygon': case 'Bytes': return JSON.parse(text);
    default: return text;
  }
}

// toText is the inverse of fromText, for CSV export.
export function toText(v, f) {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'object') return String(v);
  if (v.__type === 'Date') return v.iso;
  if (v.__type === 'Pointer') return v.objectId;
  if (v.__type === 'File') return v.name;
  if (v.__type === 'GeoPoint' && f && f.type === 'GeoPoint') return v.latitude + ',' + v.longitude;
  return JSON.stringify(v);
}

function localInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// editor returns the controls to edit one value of a field and a function
// that reads the new value (undefined: delete it).
export async function editor(name, f, value) {
  const type = f.type;
  if (type === 'String') {
    const t = h('textarea', { rows: 3, name: 'value' }, value ?? '');
    return { body: field(name, t), read: () => t.value };
  }
  if (type === 'Number') {
    const i = h('input', { type: 'number', step: 'any', value: value ?? '', name: 'value' });
    return { body: field(name, i), read: () => (i.value === '' ? undefined : Number(i.value)) };
  }
  if (type === 'Boolean') {
    const s = select([['', '(no value)'], ['true', 'true'], ['false', 'false']], value === undefined ? '' : String(value), { name: 'value' });
    return { body: field(name, s), read: () => (s.value === '' ? undefined : s.value === 'true') };
  }
  if (type === 'Date') {
    const i = h('input', { type: 'datetime-local', step: '1', value: localInput(value && value.iso), name: 'value' });
    return { body: field(name + ' (your local time)', i), read: () => (i.value ? { __type: 'Date', iso: new Date(i.value).toISOString() } : undefined) };
  }
  if (type === 'GeoPoint') {
    const lat = h('input', { type: 'number', step: 'any', min: -90, max: 90, value: value?.latitude ?? '', name: 'latitude' });
    const lng = h('input', { type: 'number', step: 'any', min: -180, max: 180, value: value?.longitude ?? '', name: 'longitude' });
    return { body: h('div', { class: 'row' }, field('Latitude', lat), field('Longitude', lng)),
      read: () => (lat.value === '' ? undefined : { __type: 'GeoPoint', latitude: Number(lat.value), longitude: Number(lng.value) }) };
  }
  if (type === 'Pointer') {
    const res = await api.get('/classes/' + encodeURIComponent(f.targetClass), { limit: 100, order: '-createdAt' }).catch(() => ({ results: [] }));
    const label = (o) => o.objectId + (labelOf(o) ? ' · ' + labelOf(o) : '');
    const pick = select([['', '(none)'], ...res.results.map((o) => [o.objectId, label(o)])], value?.objectId || '', { name: 'pointer' });
    const manual = h('input', { type: 'text', value: value?.objectId || '', name: 'objectId' });
    pick.addEventListener('change', () => { manual.value = pick.value; });
    return { body: h('div', {}, field(f.targetClass + ' object', pick), field('or its objectId', manual)),
      read: () => (manual.value ? { __type: 'Pointer', className: f.targetClass, objectId: manual.value.trim() } : undefined) };
  }
  if (type === 'File') {
    const i = h('input', { type: 'file', name: 'file' });
    return { body: h('div', {}, value ? h('p', {}, 'Now: ', value.url ? h('a', { href: value.url, target: '_blank', rel: 'noopener' }, value.name) : value.name) : null, field('Upload a new file', i)),
      read: async () => {
        const file = i.files[0];
        if (!file) return value;
        const safe = file.name.replace(/[^a-zA-Z0-9@. ~_-]/g, '_').replace(/^[^_a-zA-Z0-9]/, '_');
        const up = await api.post('/files/' + encodeURIComponent(safe), file, file.type || 'application/octet-stream');
        return { __type: 'File', name: up.name, url: up.url };
      } };
  }
  if (type === 'ACL') return aclEditor(value);
  const t = h('textarea', { rows: 8, name: 'json' }, value === undefined ? '' : JSON.stringify(value, null, 2));
  return { body: field(name + ' (JSON)', t), read: () => (t.value.trim() === '' ? undefined : JSON.parse(t.value)) };
}

function labelOf(o) {
  for (const k of ['name', 'username', 'title', 'label']) if (typeof o[k] === 'string') return o[k];
  return '';
}

// aclEditor edits an ACL: who may read and write, public, roles and users.
function aclEditor(value) {
  const acl = structuredClone(value || {});
  const tbody = h('tbody');
  const draw = () => {
    tbody.replaceChildren(...Object.entries(acl).map(([who, p]) => {
      const label = who === '*' ? 'Public (*)' : who;
      const box = (k) => h('input', { type: 'checkbox', checked: Boolean(p[k]), 'aria-label': k + ' for ' + label,
        onchange: (ev) => { if (ev.target.checked) p[k] = true; else delete p[k]; } });
      return h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, box('read')), h('td', {}, box('write')),
        h('td', {}, h('button', { type: 'button', 'aria-label': 'Remove ' + label, onclick: () => { delete acl[who]; draw(); } }, 'Remove')));
    }));
  };
  draw();
  const who = h('input', { type: 'text', name: 'aclWho', placeholder: '*, role:admin or a user id' });
  const add = () => { const w = who.value.trim(); if (w && !acl[w]) { acl[w] = { read: true }; draw(); } who.value = ''; };
  who.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); add(); } });
  return {
    body: h('div', { class: 'acl' },
      h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Who'), h('th', { scope: 'col' }, 'Read'), h('th', { scope: 'col' }, 'Write'), h('th', {}, ''))), tbody),
      h('div', { class: 'row' }, field('Add who', who), h('button', { type: 'button', onclick: add }, 'Add'))),
    read: () => {
      for (const [w, p] of Object.entries(acl)) if (!p.read && !p.write) delete acl[w];
      return acl;
    },
  };
}

