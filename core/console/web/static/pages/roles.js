// Roles: the _Role browser, creating a role, and a role's members.
import { api, session } from '../api.js';
import { h, field, card, guard, toast, table, put } from '../ui.js';
import { browser } from './browser.js';

export async function render(main) {
  put(main, h('h1', {}, 'Roles'));
  const ro = session.readOnly;
  if (!ro) {
    const name = h('input', { type: 'text', required: true, pattern: '[A-Za-z0-9_ -]+' });
    put(main, card('New role', h('form', { class: 'row', onsubmit: (ev) => { ev.preventDefault(); guard(async () => {
      await api.post('/roles', { name: name.value, ACL: { '*': { read: true } } });
      toast('Role ' + name.value + ' created');
      main.replaceChildren(); await render(main);
    }); } }, field('Role name', name), h('button', { class: 'primary', type: 'submit' }, 'Create role'))));
  }
  const roles = (await api.get('/roles', { limit: 200, order: 'name' }).catch(() => ({ results: [] }))).results;
  const members = h('div');
  const pick = h('select', { 'aria-label': 'Role' }, roles.map((r) => h('option', { value: r.objectId }, r.name)));
  const showMembers = async () => {
    const role = roles.find((r) => r.objectId === pick.value);
    if (!role) { members.replaceChildren(h('p', { class: 'muted' }, 'No roles yet.')); return; }
    const ptr = { __type: 'Pointer', className: '_Role', objectId: role.objectId };
    const users = (await api.get('/users', { where: { $relatedTo: { object: ptr, key: 'users' } }, limit: 200 })).results;
    const change = (op, id) => guard(async () => {
      await api.put('/roles/' + role.objectId, { users: { __op: op, objects: [{ __type: 'Pointer', className: '_User', objectId: id }] } });
      toast(op === 'AddRelation' ? 'Member added' : 'Member removed'); await showMembers();
    });
    const uid = h('input', { type: 'text', placeholder: 'user objectId' });
    members.replaceChildren(); put(members, table(['User', 'objectId', ''], users.map((u) => h('tr', {}, h('td', {}, u.username), h('td', {}, u.objectId),
      h('td', {}, ro ? '' : h('button', { type: 'button', class: 'danger', onclick: () => change('RemoveRelation', u.objectId) }, 'Remove'))))),
    ro ? null : h('form', { class: 'row', onsubmit: (ev) => { ev.preventDefault(); change('AddRelation', uid.value.trim()); } },
      field('Add a member', uid), h('button', { type: 'submit' }, 'Add')));
  };
  pick.addEventListener('change', () => guard(showMembers));
  put(main, card('Members', h('div', { class: 'row' }, field('Role', pick)), members));
  await showMembers();
  const el = h('div');
  put(main, el);
  await browser(el, '_Role', { noAdd: true });
}
