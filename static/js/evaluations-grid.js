/* Évaluateur's grid: keyboard marking. Arrow keys / Enter move between cells; in a capacité cell
   the keys A (acquis), N (non acquis) and X (absent) set the value, which htmx saves at once
   (hx-trigger="change"), then the focus moves to the next candidate. The grid shows one page of
   candidates: after the page's last one, the focus goes to the link to the following candidates
   ([data-grid-next]: the next page, or the « à saisir » list reloaded), Enter follows it. */
(function () {
  "use strict";
  const KEYS = { a: "acquis", n: "non_acquis", x: "absent" };

  function cells(table) { return Array.from(table.querySelectorAll("[data-cell]")); }

  function move(table, el, dRow, dCol) {
    const row = Number(el.dataset.row), col = Number(el.dataset.col);
    const target = table.querySelector(`[data-cell][data-row="${row + dRow}"][data-col="${col + dCol}"]`);
    if (target) { target.focus(); if (target.select) { target.select(); } return true; }
    return false;
  }

  function next(table) {
    // the table sits in its horizontal-scroll frame (.grid-scroll); the link follows that frame
    const link = (table.closest("section") || document).querySelector("[data-grid-next]");
    if (link) { link.focus(); return true; }
    return false;
  }

  function save(el) { el.dispatchEvent(new Event("change", { bubbles: true })); }

  document.addEventListener("keydown", function (event) {
    const el = event.target;
    if (!el.matches || !el.matches("[data-cell]")) { return; }
    const table = el.closest("table");
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    const key = event.key.toLowerCase();
    if (el.tagName === "SELECT" && KEYS[key]) {
      event.preventDefault();
      if (el.value !== KEYS[key]) { el.value = KEYS[key]; save(el); }
      // next candidate; after the page's last one, the first candidate of the next column, after
      // the last column the link to the following candidates
      move(table, el, 1, 0) || move(table, el, -Number(el.dataset.row), 1) || next(table);
      return;
    }
    if (key === "arrowdown" || (key === "enter" && !event.shiftKey)) {
      event.preventDefault();
      if (el.tagName === "INPUT" && el.dataset.saved !== el.value) { save(el); el.dataset.saved = el.value; }
      move(table, el, 1, 0) || next(table);
    } else if (key === "arrowup" || (key === "enter" && event.shiftKey)) {
      event.preventDefault();
      move(table, el, -1, 0);
    } else if (key === "arrowright" && (el.tagName === "SELECT" || el.selectionEnd === el.value.length)) {
      if (move(table, el, 0, 1)) { event.preventDefault(); }
    } else if (key === "arrowleft" && (el.tagName === "SELECT" || el.selectionStart === 0)) {
      if (move(table, el, 0, -1)) { event.preventDefault(); }
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[data-cell]")) { event.target.dataset.saved = event.target.value; }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-grid]").forEach(function (table) {
      const first = cells(table).find(function (c) { return !c.disabled; });
      if (first && !document.querySelector("[autofocus]")) { first.focus(); }
    });
  });
})();
