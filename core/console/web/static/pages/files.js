// Files: the stored files (the _File records), upload and delete.
import { api, session } from '../api.js';
import { h, field, card, guard, toast, table, fmtBytes, confirmDialog, put } from '../ui.js';

export async function render(main) {
  const ro = session.readOnly;
  const res = await api.get('/classes/_File', { limit: 100, order: '-createdAt', count: 1 });
  const reload = async () => { main.replaceChildren(); await render(main); };
  const up = h('input', { type: 'file', name: 'upload' });
  const upload = async () => {
    const f = up.files[0];
    if (!f) throw new Error('choose a file first');
    const safe = f.name.replace(/[^a-zA-Z0-9@. ~_-]/g, '_').replace(/^[^_a-zA-Z0-9]/, '_');
    const r = await api.post('/files/' + encodeURIComponent(safe), f, f.type || 'application/octet-stream');
    toast('Uploaded ' + r.name);
    await reload();
  };
  put(main, h('h1', {}, 'Files'), h('p', { class: 'muted' }, `${res.count} files stored; the newest 100 are listed.`),
    ro ? null : card('Upload', h('div', { class: 'row' }, field('File', up), h('button', { class: 'primary', type: 'button', onclick: () => guard(upload) }, 'Upload'))),
    table(['Name', 'Type', 'Size', 'Protected', 'Created', ''], res.results.map((f) => h('tr', {},
      h('td', { title: f.name }, f.name), h('td', {}, f.contentType || ''), h('td', {}, fmtBytes(f.size)), h('td', {}, f.protected ? 'yes' : ''),
      h('td', {}, f.createdAt),
      h('td', {}, ro || f.protected ? '' : h('a', { href: '../' + session.mountPath.replace(/^\//, '') + '/files/' + encodeURIComponent(session.appId) + '/' + encodeURIComponent(f.name), target: '_blank', rel: 'noopener' }, 'Open'),
        ro ? '' : h('button', { type: 'button', class: 'danger', 'aria-label': 'Delete ' + f.name, onclick: async () => {
          if (!await confirmDialog('Delete ' + f.name, 'Objects that point to it keep a dead link.')) return;
          await guard(async () => { await api.del('/files/' + encodeURIComponent(f.name)); toast('Deleted'); await reload(); });
        } }, 'Delete'))))));
}
