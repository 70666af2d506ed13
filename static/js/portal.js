// Small progressive enhancements; every page works without them.
document.documentElement.classList.add("js");

// A <select data-autosubmit> submits its form on change (the language switcher).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")) {
    target.form.requestSubmit();
  }
});

// A <form data-confirm="..."> asks before it submits.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// A header checkbox with data-select-all="<name>" ticks every checkbox of that name in its
// table (the fulfilment queue's bulk selection).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLInputElement) || !target.dataset.selectAll) {
    return;
  }
  const table = target.closest("table");
  if (!table) {
    return;
  }
  for (const box of table.querySelectorAll(`input[type=checkbox][name="${target.dataset.selectAll}"]`)) {
    box.checked = target.checked;
  }
});

// Live updates (htmx polling on elements marked data-live): skip a poll while the tab is
// hidden, and catch up at once when it is shown again. Costs nothing in background tabs.
document.addEventListener("htmx:beforeRequest", (event) => {
  const element = event.detail && event.detail.elt;
  if (document.hidden && element instanceof Element && element.hasAttribute("data-live")) {
    event.preventDefault();
  }
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && window.htmx) {
    document.querySelectorAll("[data-live]").forEach((element) => window.htmx.trigger(element, "live-refresh"));
  }
});
