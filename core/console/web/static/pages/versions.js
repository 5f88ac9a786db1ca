// App versions: releases by platform and channel, publishing one (with
// its build uploaded through the files API), staged rollouts, taking a
// release back, and trying the update check as an app would.
import { api, session } from '../api.js';
import { h, field, select, card, guard, toast, table, fmtBytes, put } from '../ui.js';

export async function render(main) {
  const ro = session.readOnly;
  const platform = select([['', 'every platform'], ['ios', 'iOS'], ['android', 'Android'], ['bundle', 'JS bundle']], '', { name: 'platform' });
  const channel = h('input', { type: 'text', name: 'channel', placeholder: 'production' });
  const list = h('div');
  const show = async () => {
    const res = await api.get('/releases', { platform: platform.value, channel: channel.value });
    list.replaceChildren(table(['Platform', 'Channel', 'Version', 'Rollout', 'Mandatory', 'Enabled', 'Build', 'Patches', 'Published', ''],
      res.results.map((r) => {
        const pct = h('input', { type: 'number', min: 0, max: 100, value: r.rolloutPercent ?? 100, disabled: ro, 'aria-label': 'Rollout percent of ' + r.versionName });
        return h('tr', { 'data-id': r.objectId },
          h('td', {}, r.platform), h('td', {}, r.channel), h('td', {}, `${r.versionName} (${r.versionCode})`),
          h('td', {}, pct, '%'), h('td', {}, r.mandatory ? 'yes' : ''), h('td', {}, r.enabled === false ? h('span', { class: 'pill bad' }, 'taken back') : h('span', { class: 'pill ok' }, 'yes')),
          h('td', {}, r.storeUrl ? 'App Store' : r.file ? fmtBytes(r.size) : ''), h('td', {}, (r.patches || []).length),
          h('td', {}, r.createdAt),
          h('td', {}, ro ? '' : [
            h('button', { type: 'button', 'aria-label': 'Save rollout of ' + r.versionName, onclick: () => guard(async () => {
              await api.put('/releases/' + r.objectId, { rolloutPercent: Number(pct.value) }); toast('Rollout saved'); await show();
            }) }, 'Save rollout'),
            h('button', { type: 'button', class: r.enabled === false ? '' : 'danger', 'aria-label': (r.enabled === false ? 'Enable ' : 'Take back ') + r.versionName,
              onclick: () => guard(async () => {
                await api.put('/releases/' + r.objectId, { enabled: r.enabled === false }); toast(r.enabled === false ? 'Release enabled' : 'Release taken back'); await show();
              }) }, r.enabled === false ? 'Enable' : 'Take back')]));
      })));
  };

  const p = select([['android', 'Android'], ['ios', 'iOS'], ['bundle', 'JS bundle']], 'android', { name: 'newPlatform' });
  const ch = h('input', { type: 'text', name: 'newChannel', value: 'production' });
  const code = h('input', { type: 'number', name: 'versionCode', min: 1, required: true });
  const name = h('input', { type: 'text', name: 'versionName', placeholder: '1.2.0' });
  const notes = h('input', { type: 'text', name: 'notes', size: 40 });
  const rollout = h('input', { type: 'number', name: 'rolloutPercent', min: 0, max: 100, value: 100 });
  const minSup = h('input', { type: 'number', name: 'minSupportedVersionCode', min: 0 });
  const mandatory = h('input', { type: 'checkbox', name: 'mandatory' });
  const build = h('input', { type: 'file', name: 'build' });
  const storeUrl = h('input', { type: 'url', name: 'storeUrl', placeholder: 'https://apps.apple.com/…' });
  const progress = h('progress', { hidden: true, 'aria-label': 'Upload progress' });
  const publish = async () => {
    const body = { platform: p.value, channel: ch.value || 'production', versionCode: Number(code.value), rolloutPercent: Number(rollout.value), mandatory: mandatory.checked };
    if (name.value) body.versionName = name.value;
    if (notes.value) body.notes = notes.value;
    if (minSup.value) body.minSupportedVersionCode = Number(minSup.value);
    if (storeUrl.value) body.storeUrl = storeUrl.value;
    const f = build.files[0];
    if (f) {
      progress.hidden = false;
      const safe = f.name.replace(/[^a-zA-Z0-9@. ~_-]/g, '_').replace(/^[^_a-zA-Z0-9]/, '_');
      const up = await api.post('/files/' + encodeURIComponent(safe), f, f.type || 'application/octet-stream');
      progress.hidden = true;
      body.file = { __type: 'File', name: up.name };
    }
    const r = await api.post('/releases', body);
    toast('Published ' + (r.versionName || body.versionName || body.versionCode));
    await show();
  };

  const cPlatform = select([['android', 'Android'], ['ios', 'iOS'], ['bundle', 'JS bundle']], 'android', { name: 'checkPlatform' });
  const cCode = h('input', { type: 'number', name: 'checkVersionCode', value: 1 });
  const cDevice = h('input', { type: 'text', name: 'deviceId', value: 'console-device' });
  const cOut = h('pre', { hidden: true });
  const check = async () => {
    const res = await api.post('/updates/check', { platform: cPlatform.value, versionCode: Number(cCode.value), deviceId: cDevice.value, channel: ch.value || 'production' });
    cOut.hidden = false;
    cOut.textContent = JSON.stringify(res, null, 2);
  };

  put(main, h('h1', {}, 'App versions'),
    ro ? null : card('Publish a release', h('div', { class: 'row' }, field('Platform', p), field('Channel', ch), field('Version code', code), field('Version name', name),
      field('Rollout %', rollout), field('Minimum supported code', minSup), h('label', { class: 'inline' }, mandatory, 'Mandatory')),
    h('div', { class: 'row' }, field('Release notes', notes), field('Build (APK, IPA or bundle)', build), field('or App Store URL (iOS)', storeUrl), progress,
      h('button', { class: 'primary', type: 'button', onclick: () => guard(publish) }, 'Publish'))),
    card('Releases', h('div', { class: 'row' }, field('Filter by platform', platform), field('Filter by channel', channel), h('button', { type: 'button', onclick: () => guard(show) }, 'Show')), list),
    card('Try the update check', h('div', { class: 'row' }, field('Platform of the app', cPlatform), field('Installed version code', cCode), field('Device id', cDevice),
      h('button', { type: 'button', onclick: () => guard(check) }, 'Check')), cOut));
  await show();
}
