// The dev inbox panel (APP_DEBUG outside production): the last codes the console providers sent,
// so a person can try the flow without a phone. Polls while the page is visible.
import * as api from './api.js';

interface Entry {
  channel: string;
  to: string;
  code: string;
  purpose: string;
  sent_at: string;
}

export function startInbox(panel: HTMLElement, list: HTMLElement): void {
  panel.hidden = false;
  let last = '';
  async function poll(): Promise<void> {
    if (document.visibilityState !== 'visible') return;
    const answer = await api.devInbox();
    if (!answer.ok) return;
    const entries = answer.data.messages as Entry[];
    const key = JSON.stringify(entries);
    if (key === last) return;
    last = key;
    list.replaceChildren(
      ...entries.map((entry) => {
        const item = document.createElement('li');
        const codeText = document.createElement('strong');
        codeText.className = 'inbox-code';
        codeText.textContent = entry.code;
        item.append(codeText, ` ${entry.purpose} code to ${entry.channel} ${entry.to}, ${new Date(entry.sent_at).toLocaleTimeString()}`);
        return item;
      }),
    );
  }
  void poll();
  setInterval(() => void poll(), 1500);
}
