// Rapport command palette: live search results under the topbar search box (Ctrl/⌘-K focuses it).
// ARIA combobox: the input owns a listbox; arrow keys move aria-activedescendant, Enter opens,
// Escape closes. Without this file the box still submits to the full search page.
(function () {
  "use strict";

  var script = document.currentScript;
  var endpoint = script ? script.getAttribute("data-palette-url") : null;

  function onReady(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  onReady(function () {
    var input = document.querySelector("[data-command-palette]");
    if (!input || !input.form || !endpoint || !window.htmx) return;
    var form = input.form;
    var box = document.createElement("div");
    box.id = "search-palette";
    box.className = "palette";
    box.hidden = true;
    form.classList.add("has-palette");
    form.appendChild(box);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", "search-palette-list");

    var timer = null;
    var active = -1;
    var shown = null; // the query whose results the box holds
    var pending = null;

    function options() {
      return Array.prototype.slice.call(box.querySelectorAll('[role="option"]'));
    }

    function open() {
      if (!box.querySelector('[role="listbox"]')) return;
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      box.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
      options().forEach(function (option) { option.setAttribute("aria-selected", "false"); });
    }

    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (option, n) {
        var on = n === active;
        option.setAttribute("aria-selected", on ? "true" : "false");
        option.classList.toggle("active", on);
      });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function load() {
      var query = input.value.trim();
      if (query === shown || query === pending) return;
      if (!query) {
        shown = "";
        box.innerHTML = "";
        close();
        return;
      }
      pending = query;
      window.htmx.ajax("GET", endpoint + "?q=" + encodeURIComponent(query), { target: box, swap: "innerHTML" })
        .then(function () {
          pending = null;
          shown = query;
          active = -1;
          input.removeAttribute("aria-activedescendant");
          if (input.value.trim() !== query) { load(); return; } // the person kept typing
          if (document.activeElement === input) open(); else close();
        }, function () { pending = null; });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(load, 150);
    });

    input.addEventListener("focus", function () {
      if (input.value.trim() && input.value.trim() === shown) open();
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (box.hidden) open();
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (box.hidden) open();
        highlight(active - 1);
      } else if (event.key === "Enter") {
        var all = options();
        if (!box.hidden && active >= 0 && all[active]) {
          event.preventDefault();
          window.location.assign(all[active].getAttribute("data-url"));
        }
      } else if (event.key === "Escape" && !box.hidden) {
        // The first Escape only closes the list: keep the text (a search input clears itself on
        // Escape by default) and the focus; the next Escape leaves the box (app.js).
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });

    // Clicking an option opens it; mousedown must not take the focus from the box first.
    box.addEventListener("mousedown", function (event) { event.preventDefault(); });
    box.addEventListener("click", function (event) {
      var option = event.target.closest('[role="option"]');
      if (option) window.location.assign(option.getAttribute("data-url"));
    });

    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) close();
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 100); });
  });
})();
