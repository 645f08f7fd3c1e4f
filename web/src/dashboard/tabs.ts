/**
 * The dashboard's tabs (WAI-ARIA tabs pattern): buttons with role=tab switch the panels they
 * control; arrow keys move between tabs; `#workflows` in the URL opens that tab.
 */
export function setupTabs(onShow: (id: string) => void): void {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
  const show = (tab: HTMLButtonElement, focus = false) => {
    for (const t of tabs) {
      const selected = t === tab;
      t.setAttribute('aria-selected', String(selected));
      t.tabIndex = selected ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')!)!.hidden = !selected;
    }
    if (focus) tab.focus();
    const id = tab.id.replace(/^tab-/, '');
    history.replaceState(null, '', id === 'writing' ? location.pathname + location.search : `#${id}`);
    onShow(id);
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => show(tab));
    tab.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (step) show(tabs[(i + step + tabs.length) % tabs.length]!, true);
    });
  });
  const initial = tabs.find((t) => `#${t.id.replace(/^tab-/, '')}` === location.hash);
  if (initial) show(initial);
}
