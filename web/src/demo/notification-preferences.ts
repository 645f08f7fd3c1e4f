import type { NotificationPreferences, NotificationPreferencesUpdate, StoryloomClient } from '@storyloom/client';
import { h } from '../lib/dom.js';

const CATEGORIES = ['collaboration', 'publishing', 'writing', 'analytics', 'automation', 'system'] as const;
const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
const CHANNELS = ['in_app', 'email', 'sms', 'push'] as const;
const CADENCES = ['hourly', 'daily', 'weekly', 'off'] as const;
type Category = (typeof CATEGORIES)[number];

/**
 * A labelled control on one line. The explicit aria-label keeps the name exact: a wrapping
 * label alone would add a select's chosen option to its name.
 */
const field = (text: string, control: HTMLElement) => {
  if (!control.hasAttribute('aria-label')) control.setAttribute('aria-label', text);
  return h('label', { class: 'pref-field' }, h('span', {}, text), control);
};

/**
 * A compact notification preferences form: quiet hours (start, end, time zone), digest cadence
 * per category, channels per priority for one category at a time, and the server's channel
 * status. Saves through `preferences.update` and redraws from what the server answers.
 */
export function mountNotificationPreferences(root: HTMLElement, client: StoryloomClient): void {
  let prefs: NotificationPreferences | undefined;
  let category: Category = 'collaboration';
  const quietOn = h('input', { type: 'checkbox', name: 'quiet-on' });
  const start = h('input', { type: 'time', name: 'quiet-start', required: true });
  const end = h('input', { type: 'time', name: 'quiet-end', required: true });
  const zone = h('input', { type: 'text', name: 'quiet-zone', list: 'pref-zones', autocomplete: 'off', spellcheck: 'false' });
  const zones = h('datalist', { id: 'pref-zones' }, ...Intl.supportedValuesOf('timeZone').map((z) => h('option', { value: z })));
  const digests = new Map(CATEGORIES.map((c) => [c, h('select', { name: `digest-${c}`, 'aria-label': `Digest for ${c}` }, ...CADENCES.map((d) => h('option', { value: d }, d)))]));
  const categoryPick = h('select', { name: 'channels-category' }, ...CATEGORIES.map((c) => h('option', { value: c }, c)));
  // Channel choices edited but not saved yet, per category (switching category keeps them).
  const edited = new Map<Category, Record<string, string[]>>();
  const grid = h('tbody');
  const status = h('ul', { class: 'channel-status', 'data-testid': 'channel-status' });
  const message = h('p', { class: 'pref-message', role: 'status', 'aria-live': 'polite' });
  const save = h('button', { type: 'submit' }, 'Save preferences');

  const channelsOf = (c: Category): Record<string, string[]> => edited.get(c) ?? prefs?.channels[c] ?? {};
  const renderGrid = () => {
    const current = channelsOf(category);
    grid.replaceChildren(
      ...PRIORITIES.map((p) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, p),
          ...CHANNELS.map((ch) => {
            const box = h('input', { type: 'checkbox', name: `ch-${p}-${ch}`, 'aria-label': `${category} ${p}: ${ch.replace('_', '-')}`, checked: (current[p] ?? []).includes(ch) });
            box.addEventListener('change', () => {
              const next = { ...channelsOf(category) };
              next[p] = CHANNELS.filter((c) => (c === ch ? box.checked : (next[p] ?? []).includes(c)));
              edited.set(category, next);
            });
            return h('td', {}, box);
          }),
        ),
      ),
    );
  };
  const fill = (p: NotificationPreferences) => {
    prefs = p;
    edited.clear();
    quietOn.checked = p.quietHours !== null;
    start.value = p.quietHours?.start ?? '22:00';
    end.value = p.quietHours?.end ?? '08:00';
    zone.value = p.quietHours?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    for (const input of [start, end, zone]) input.disabled = !quietOn.checked;
    for (const [c, select] of digests) select.value = p.digest[c] ?? 'off';
    status.replaceChildren(
      ...Object.entries(p.channelStatus).map(([name, s]) =>
        h('li', { dataset: { channel: name, configured: String(s.configured) } }, `${name.replace('_', '-')}: ${s.configured ? 'ready' : `not configured: ${s.detail}`}`),
      ),
    );
    renderGrid();
    root.dataset.loaded = '1';
  };
  categoryPick.addEventListener('change', () => {
    category = categoryPick.value as Category;
    renderGrid();
  });
  quietOn.addEventListener('change', () => {
    for (const input of [start, end, zone]) input.disabled = !quietOn.checked;
  });

  const form = h(
    'form',
    { class: 'prefs-form', 'aria-label': 'Notification preferences' },
    h('fieldset', {}, h('legend', {}, 'Quiet hours'), field('Quiet hours on', quietOn), field('From', start), field('Until', end), field('Time zone', zone), zones),
    h('fieldset', {}, h('legend', {}, 'Digest'), h('div', { class: 'pref-digests' }, ...CATEGORIES.map((c) => field(c, digests.get(c)!)))),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Channels'),
      field('Category', categoryPick),
      h('table', { class: 'pref-channels' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'priority'), ...CHANNELS.map((c) => h('th', { scope: 'col' }, c.replace('_', '-'))))), grid),
    ),
    h('h3', {}, 'Channel status'),
    status,
    save,
    message,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const update: NotificationPreferencesUpdate = {
      quietHours: quietOn.checked ? { start: start.value, end: end.value, timeZone: zone.value.trim() } : null,
      digest: Object.fromEntries([...digests].map(([c, s]) => [c, s.value])) as NotificationPreferencesUpdate['digest'],
      ...(edited.size > 0 ? { channels: Object.fromEntries(edited) as NotificationPreferencesUpdate['channels'] } : {}),
    };
    save.disabled = true;
    message.textContent = 'Saving…';
    client.notifications.preferences
      .update(update)
      .then((saved) => {
        fill(saved);
        message.textContent = 'Saved.';
      })
      .catch((error: unknown) => {
        message.textContent = `Not saved: ${(error as Error).message}`;
      })
      .finally(() => {
        save.disabled = false;
      });
  });
  root.replaceChildren(form);
  client.notifications.preferences
    .get()
    .then(fill)
    .catch((error: unknown) => {
      message.textContent = `Preferences could not be loaded: ${(error as Error).message}`;
    });
}
