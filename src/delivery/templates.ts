import type { OutboundMessage, OutboundNotification } from '../services/notifications/channels/channel.js';
import type { MessageLinks } from './links.js';

/**
 * Email, SMS and push texts: small functions instead of a template engine, so every value
 * that came from a user (titles, bodies, project names in data) passes through escapeHtml
 * exactly once, here.
 */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const APP = 'Storyloom';
const PRIORITY_LABEL: Record<OutboundNotification['priority'], string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Header values never carry a line break (header injection) and stay short. */
function headerText(value: string, max = 160, ellipsis = '…'): string {
  const flat = value.replace(/[\r\n\t]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - ellipsis.length)}${ellipsis}` : flat;
}

export function emailSubject(message: OutboundMessage): string {
  if (message.kind === 'digest') {
    const n = message.notifications.length;
    return headerText(`${APP} digest: ${n} notification${n === 1 ? '' : 's'}`);
  }
  const only = message.notifications[0]!;
  const prefix = only.priority === 'critical' ? 'Critical: ' : '';
  return headerText(`[${APP}] ${prefix}${only.title}`);
}

export function renderEmail(message: OutboundMessage, links: MessageLinks): RenderedEmail {
  return message.kind === 'digest' ? renderDigest(message, links) : renderSingle(message, links);
}

function renderSingle(message: OutboundMessage, links: MessageLinks): RenderedEmail {
  const n = message.notifications[0]!;
  const subject = emailSubject(message);
  const text = [
    `${PRIORITY_LABEL[n.priority]} · ${n.category}`,
    '',
    n.title,
    '',
    n.body,
    '',
    `Open in ${APP}: ${links.open(n)}`,
    '',
    footerText(links),
  ].join('\n');
  const html = page(
    subject,
    `<p style="color:#666;font-size:12px;margin:0 0 8px">${escapeHtml(PRIORITY_LABEL[n.priority])} · ${escapeHtml(n.category)}</p>
<h1 style="font-size:20px;margin:0 0 12px">${escapeHtml(n.title)}</h1>
<p style="white-space:pre-wrap;margin:0 0 16px">${escapeHtml(n.body)}</p>
<p><a href="${escapeHtml(links.open(n))}" style="color:#3b5bdb">Open in ${APP}</a></p>`,
    links,
  );
  return { subject, text, html };
}

function renderDigest(message: OutboundMessage, links: MessageLinks): RenderedEmail {
  const subject = emailSubject(message);
  const items = [...message.notifications].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const text = [
    `Your ${APP} digest: ${items.length} notification${items.length === 1 ? '' : 's'}`,
    '',
    ...items.flatMap((n) => [`- [${n.category}] ${n.title} (${n.createdAt})`, `  ${n.body.replace(/\n/g, '\n  ')}`, `  ${links.open(n)}`, '']),
    `All notifications: ${links.inbox}`,
    '',
    footerText(links),
  ].join('\n');
  const rows = items
    .map(
      (n) => `<li style="margin:0 0 12px">
<span style="color:#666;font-size:12px">${escapeHtml(n.category)} · ${escapeHtml(n.createdAt)}</span><br>
<a href="${escapeHtml(links.open(n))}" style="color:#3b5bdb;font-weight:600">${escapeHtml(n.title)}</a><br>
<span style="white-space:pre-wrap">${escapeHtml(n.body)}</span>
</li>`,
    )
    .join('\n');
  const html = page(
    subject,
    `<h1 style="font-size:20px;margin:0 0 12px">${escapeHtml(`Your ${APP} digest`)}</h1>
<ul style="padding-left:18px;margin:0 0 16px">
${rows}
</ul>
<p><a href="${escapeHtml(links.inbox)}" style="color:#3b5bdb">All notifications</a></p>`,
    links,
  );
  return { subject, text, html };
}

function footerText(links: MessageLinks): string {
  return `Notification settings: ${links.preferences}\nUnsubscribe: ${links.unsubscribe}`;
}

function page(title: string, content: string, links: MessageLinks): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family:system-ui,sans-serif;color:#222;max-width:600px;margin:0 auto;padding:16px">
${content}
<hr style="border:none;border-top:1px solid #ddd;margin:24px 0 8px">
<p style="color:#666;font-size:12px"><a href="${escapeHtml(links.preferences)}" style="color:#666">Notification settings</a> · <a href="${escapeHtml(links.unsubscribe)}" style="color:#666">Unsubscribe</a></p>
</body></html>`;
}

/** One SMS segment where possible: the title and the link; the body is in the app. */
export function renderSms(message: OutboundMessage, links: MessageLinks): string {
  if (message.kind === 'digest') {
    return `${APP}: ${message.notifications.length} new notifications ${links.inbox}`;
  }
  const n = message.notifications[0]!;
  const url = links.open(n);
  const head = `${APP}${n.priority === 'critical' ? ' CRITICAL' : ''}: `;
  const room = Math.max(10, 160 - head.length - url.length - 1);
  // ASCII '...': one non-GSM character would make the whole SMS unicode (70 characters a segment).
  return `${head}${headerText(n.title, room, '...')} ${url}`;
}

/** Push services accept about 4 KB of encrypted payload; keep the JSON well under it. */
const PUSH_PAYLOAD_LIMIT = 3_000;

export function renderPushPayload(message: OutboundMessage, links: MessageLinks): string {
  const summarize = (n: OutboundNotification, bodyMax: number) => ({
    id: n.id,
    category: n.category,
    priority: n.priority,
    title: headerText(n.title, 120),
    body: headerText(n.body, bodyMax),
    createdAt: n.createdAt,
    projectId: n.projectId,
    url: links.open(n),
  });
  if (message.kind === 'single') {
    return JSON.stringify({ type: 'notification', notification: summarize(message.notifications[0]!, 1_000) });
  }
  const items = [...message.notifications].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((n) => summarize(n, 120));
  // Keep the newest entries that fit; the count and the inbox link still say how many there are.
  const envelope = (kept: unknown[]) => JSON.stringify({ type: 'digest', count: items.length, url: links.inbox, notifications: kept });
  let budget = PUSH_PAYLOAD_LIMIT - Buffer.byteLength(envelope([]));
  let first = items.length;
  while (first > 0) {
    const size = Buffer.byteLength(JSON.stringify(items[first - 1])) + 1; // + the comma
    if (size > budget) break;
    budget -= size;
    first -= 1;
  }
  return envelope(items.slice(first));
}
