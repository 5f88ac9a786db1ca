// Push: a composer that counts the audience before sending, with a
// schedule and a TTL, and the status of past pushes (_PushStatus).
import { api, session } from '../api.js';
import { h, field, select, card, guard, toast, table, put } from '../ui.js';

export async function render(main) {
  const ro = session.readOnly;
  const deviceType = select([['', 'every device'], ['ios', 'iOS'], ['android', 'Android'], ['web', 'Web']], '', { name: 'deviceType' });
  const channels = h('input', { type: 'text', name: 'channels', placeholder: 'news, sports' });
  const whereText = h('input', { type: 'text', name: 'where', size: 40, placeholder: '{"appVersion": "2.0"}' });
  const title = h('input', { type: 'text', name: 'title' });
  const alert = h('textarea', { rows: 3, name: 'alert', required: true });
  const badge = h('input', { type: 'text', name: 'badge', placeholder: 'Increment or a number', size: 12 });
  const when = h('input', { type: 'datetime-local', name: 'pushTime' });
  const ttl = h('input', { type: 'number', name: 'ttl', min: 1, placeholder: 'seconds', size: 10 });
  const audience = h('p', { role: 'status', class: 'muted' }, 'Count the audience before sending.');

  const where = () => {
    const w = whereText.value.trim() ? JSON.parse(whereText.value) : {};
    if (deviceType.value) w.deviceType = deviceType.value;
    const ch = channels.value.split(',').map((s) => s.trim()).filter(Boolean);
    if (ch.length) w.channels = { $in: ch };
    return w;
  };
  const count = async () => {
    const res = await api.get('/installations', { where: where(), count: 1, limit: 0 });
    audience.className = '';
    audience.textContent = `This push reaches ${res.count} device${res.count === 1 ? '' : 's'}.`;
    return res.count;
  };
  const send = async () => {
    const n = await count();
    if (!alert.value.trim()) throw new Error('write the message first');
    const data = { alert: alert.value };
    if (title.value) data.title = title.value;
    if (badge.value) data.badge = /^\d+$/.test(badge.value) ? Number(badge.value) : badge.value;
    const body = { where: where(), data };
    if (when.value) body.push_time = new Date(when.value).toISOString();
    if (ttl.value) body.expiration_interval = Number(ttl.value);
    await api.post('/push', body);
    toast(when.value ? `Push scheduled for ${n} devices` : `Push sent to ${n} devices`);
    await showStatus();
  };

  const status = h('div');
  const showStatus = async () => {
    try {
      const res = await api.get('/classes/_PushStatus', { limit: 50, order: '-createdAt' });
      status.replaceChildren(table(['Created', 'Status', 'Devices', 'Sent', 'Failed', 'Scheduled for', 'Message', ''], res.results.map((p) => h('tr', { 'data-id': p.objectId },
        h('td', {}, p.createdAt), h('td', {}, p.status), h('td', {}, p.count ?? ''), h('td', {}, p.numSent ?? ''), h('td', {}, p.numFailed ?? ''),
        h('td', {}, p.pushTime ?? ''), h('td', {}, typeof p.payload === 'string' ? p.payload : JSON.stringify(p.payload ?? '')),
        h('td', {}, ro || !['pending', 'scheduled', 'running'].includes(p.status) ? '' : h('button', { type: 'button', class: 'danger', 'aria-label': 'Cancel push ' + p.objectId,
          onclick: () => guard(async () => { await api.post('/push/' + p.objectId + '/cancel', {}); toast('Push cancelled'); await showStatus(); }) }, 'Cancel'))))));
    } catch (e) {
      status.replaceChildren(h('p', { class: 'muted' }, 'No push status yet (' + e.message + ').'));
    }
  };

  put(main, h('h1', {}, 'Push'),
    card('Audience', h('div', { class: 'row' }, field('Device type', deviceType), field('Channels (any of)', channels), field('and a where on _Installation (JSON)', whereText),
      h('button', { type: 'button', onclick: () => guard(count) }, 'Count devices')), audience),
    ro ? null : card('Compose', h('div', { class: 'row' }, field('Title', title), field('Badge', badge)), field('Message', alert),
      h('div', { class: 'row' }, field('Send at (empty: now)', when), field('Expires after (TTL)', ttl),
        h('button', { class: 'primary', type: 'button', onclick: () => guard(send) }, 'Send push'))),
    card('Status', status));
  await showStatus();
}
