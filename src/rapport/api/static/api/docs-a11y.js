// Swagger UI renders a few controls axe flags: parameter <select>s without a name and code
// examples that scroll but cannot be reached by keyboard. Label and focus them as they appear.
(function () {
  "use strict";

  function fix(root) {
    root.querySelectorAll("tr[data-param-name] select:not([aria-label])").forEach(function (select) {
      var row = select.closest("tr[data-param-name]");
      select.setAttribute("aria-label", row.getAttribute("data-param-name"));
    });
    root.querySelectorAll(".microlight:not([tabindex]), .highlight-code pre:not([tabindex])").forEach(function (block) {
      block.setAttribute("tabindex", "0");
    });
  }

  new MutationObserver(function () { fix(document); }).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
})();
