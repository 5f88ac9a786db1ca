// Cloud code: deployments (upload, activate, roll back), the diff between
// two versions, and the logs.
import { api, panel, session } from '../api.js';
import { h, field, select, card, guard, toast, table, fmtBytes, readFile, put } from '../ui.js';

export async function render(main) {
  const ro = session.readOnly;
  let versions = [];
  try {
    versions = (await api.get('/deployments')).results;
  } catch (e) {
    put(main, h('h1', {}, 'Cloud code'), h('p', { class: 'bad', role: 'alert' }, e.message));
    return;
  }
  const reload = async () => { main.replaceChildren(); await render(main); };
  const activate = (v) => guard(async () => { await api.put('/deployments/' + v, { active: true }); toast('Version ' + v + ' is active'); await reload(); });
  const active = versions.find((v) => v.active);

  const code = h('textarea', { rows: 10, name: 'mainjs', spellcheck: 'false' }, "Parse.Cloud.define('hello', (req) => 'hello ' + (req.params.name || 'world'));\n");
  const extra = h('input', { type: 'file', multiple: true, name: 'files' });
  const note = h('input', { type: 'text', name: 'note', placeholder: 'what changed' });
  const deploy = async () => {
    const files = { 'main.js': b64(code.value) };
    for (const f of extra.files) files[f.webkitRelativePath || f.name] = b64(await readFile(f));
    const v = await api.post('/deployments', { files, encoding: 'base64', note: note.value });
    toast('Deployed version ' + v.version);
    await reload();
  };

  const a = select(versions.map((v) => [String(v.version), 'v' + v.version]), String(versions[1]?.version ?? ''), { name: 'from' });
  const b = select(versions.map((v) => [String(v.version), 'v' + v.version]), String(versions[0]?.version ?? ''), { name: 'to' });
  const diffOut = h('div');
  const showDiff = async () => {
    const [x, y] = await Promise.all([panel('deployment', { version: Number(a.value) }), panel('deployment', { version: Number(b.value) })]);
    const names = [...new Set([...Object.keys(x.files), ...Object.keys(y.files)])].sort();
    diffOut.replaceChildren(...names.map((n) => {
      const before = x.files[n], after = y.files[n];
      if (before === after) return h('p', { class: 'muted' }, n + ': unchanged');
      return h('div', {}, h('h3', {}, n, before === undefined ? ' (added)' : after === undefined ? ' (removed)' : ''),
        h('pre', { class: 'diff' }, diffLines(before ?? '', after ?? '')));
    }));
  };

  const logs = h('div');
  const level = select([['', 'all levels'], ['info', 'info'], ['error', 'error']], '', { name: 'level' });
  const showLogs = async () => {
    const entries = await api.get('/scriptlog', { size: 200, order: 'desc', level: level.value || undefined });
    logs.replaceChildren(table(['Time', 'Level', 'Version', 'Message'], (entries || []).map((e) => h('tr', {},
      h('td', {}, e.timestamp), h('td', { class: e.level === 'error' ? 'bad' : '' }, e.level), h('td', {}, e.version ?? ''), h('td', { title: e.message }, e.message)))));
  };

  put(main, h('h1', {}, 'Cloud code'),
    h('p', {}, active ? `Active: version ${active.version} (${active.note || 'no note'}), ${active.files} files.` : 'No version is active.'),
    ro ? null : card('Deploy a new version',
      field('main.js', code), h('div', { class: 'row' }, field('More files (optional)', extra), field('Note', note),
        h('button', { class: 'primary', type: 'button', onclick: () => guard(deploy) }, 'Deploy'))),
    card('Versions', table(['Version', 'Note', 'Created', 'Files', 'Size', 'Hash', ''], versions.map((v) => h('tr', {},
      h('td', {}, 'v' + v.version, v.active ? h('span', { class: 'pill ok' }, ' active') : ''), h('td', {}, v.note || ''),
      h('td', {}, v.createdAt), h('td', {}, v.files), h('td', {}, fmtBytes(v.bytes)), h('td', {}, (v.hash || '').slice(0, 12)),
      h('td', {}, v.active || ro ? '' : h('button', { type: 'button', onclick: () => activate(v.version), 'aria-label': (active && v.version < active.version ? 'Roll back to v' : 'Activate v') + v.version },
        active && v.version < active.version ? 'Roll back to this' : 'Activate')))))),
    card('Diff', h('div', { class: 'row' }, field('From', a), field('To', b), h('button', { type: 'button', onclick: () => guard(showDiff) }, 'Show diff')), diffOut),
    card('Logs', h('div', { class: 'row' }, field('Level', level), h('button', { type: 'button', onclick: () => guard(showLogs) }, 'Refresh')), logs));
  await guard(showLogs);
}

function b64(text) {
  const bytes = new TextEncoder().encode(text);
  let s = '';
  for (const c of bytes) s += String.fromCharCode(c);
  return btoa(s);
}

// diffLines is a line diff by longest common subsequence: enough for
// cloud-code files (bounded to 3000 lines a side to stay quick).
function diffLines(a, b) {
  const x = a.split('\n').slice(0, 3000), y = b.split('\n').slice(0, 3000);
  const n = x.length, m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { out.push(h('span', {}, '  ' + x[i] + '\n')); i++; j++; }
    else if (j < m && (i >= n || lcs[i][j + 1] >= lcs[i + 1][j])) { out.push(h('span', { class: 'add' }, '+ ' + y[j] + '\n')); j++; }
    else { out.push(h('span', { class: 'del' }, '- ' + x[i] + '\n')); i++; }
  }
  return out;
}
