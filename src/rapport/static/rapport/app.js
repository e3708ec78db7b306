// Rapport: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  onReady(function () {
    // Phone layout: the menu button opens and closes the sidebar.
    var toggle = document.querySelector("[data-nav-toggle]");
    var sidebar = document.getElementById("sidebar");
    if (toggle && sidebar) {
      toggle.addEventListener("click", function () {
        var open = sidebar.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }

    // Ctrl/Cmd-K focuses the global search box; Escape leaves it.
    var search = document.querySelector("[data-command-palette]");
    document.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && (event.key === "k" || event.key === "K")) {
        if (search) { event.preventDefault(); search.focus(); search.select(); }
      } else if (event.key === "Escape" && document.activeElement === search) {
        search.blur();
      } else if (event.key === "Escape" && toggle && sidebar && sidebar.classList.contains("open")) {
        sidebar.classList.remove("open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });

    // Top-bar <details> menus (disclosures): Enter/Space on the summary opens one (native),
    // Escape closes it and returns focus to its summary, arrow keys move between its items,
    // and it closes when a click or the focus goes elsewhere. One menu is open at a time.
    var menus = document.querySelectorAll("details.menu");
    function closeMenus(except) {
      menus.forEach(function (menu) { if (menu !== except) menu.removeAttribute("open"); });
    }
    function menuItems(menu) {
      return Array.prototype.slice.call(menu.querySelectorAll(".menu-panel a[href], .menu-panel button:not([disabled])"));
    }
    menus.forEach(function (menu) {
      var summary = menu.querySelector("summary");
      menu.addEventListener("toggle", function () { if (menu.open) closeMenus(menu); });
      menu.addEventListener("focusout", function (event) {
        if (event.relatedTarget && !menu.contains(event.relatedTarget)) menu.removeAttribute("open");
      });
      menu.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && menu.open) {
          event.preventDefault();
          menu.removeAttribute("open");
          summary.focus();
          return;
        }
        if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
        var items = menuItems(menu);
        if (!items.length) return;
        event.preventDefault();
        if (!menu.open) menu.setAttribute("open", "");
        var index = items.indexOf(document.activeElement);
        var next = event.key === "ArrowDown" ? index + 1 : (index < 0 ? items.length : index) - 1;
        items[(next + items.length) % items.length].focus();
      });
    });
    document.addEventListener("click", function (event) {
      menus.forEach(function (menu) { if (menu.open && !menu.contains(event.target)) menu.removeAttribute("open"); });
    });

    // Buttons that ask before doing something destructive: data-confirm="message".
    document.addEventListener("submit", function (event) {
      var message = event.target.getAttribute("data-confirm");
      if (message && !window.confirm(message)) event.preventDefault();
    });
  });
})();
