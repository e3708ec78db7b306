// Record pickers (rapport.sales.pickers): turn each <select> in [data-picker] into a combobox.
// The text box asks the server (HTMX, hx-get on the input) for matches; this file handles the
// keyboard (arrows, Enter, Escape), the mouse, and keeps the hidden <select> as the submitted value.
(function () {
  "use strict";

  function options(list) {
    return Array.prototype.slice.call(list.querySelectorAll('[role="option"]:not([aria-disabled="true"])'));
  }

  function close(input, list) {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function choose(select, input, list, option) {
    var value = option.getAttribute("data-value");
    var label = option.getAttribute("data-label");
    var existing = Array.prototype.find.call(select.options, function (o) { return o.value === value; });
    if (!existing) {
      existing = new Option(label, value);
      select.add(existing);
    }
    select.value = value;
    input.value = label;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    close(input, list);
  }

  function highlight(input, list, index) {
    var all = options(list);
    if (!all.length) { return; }
    index = (index + all.length) % all.length;
    all.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", all[index].id);
    all[index].scrollIntoView({ block: "nearest" });
  }

  function current(list) {
    var all = options(list);
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("aria-selected") === "true") { return i; }
    }
    return -1;
  }

  function enhance(box) {
    if (box.getAttribute("data-picker-ready")) { return; }
    box.setAttribute("data-picker-ready", "1");
    var select = box.querySelector("select");
    var input = box.querySelector('input[role="combobox"]');
    var list = box.querySelector('[role="listbox"]');
    if (!select || !input || !list) { return; }
    var label = document.querySelector('label[for="' + select.id + '"]');
    if (label) { label.htmlFor = input.id; }
    var picked = select.options[select.selectedIndex];
    input.value = picked && picked.value ? picked.text : "";
    select.hidden = true;
    select.tabIndex = -1;
    input.hidden = false;

    input.addEventListener("input", function () {
      if (!input.value.trim()) {
        select.value = "";
        list.innerHTML = "";
        close(input, list);
      }
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden && options(list).length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
        highlight(input, list, current(list) + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && !list.hidden) {
        var index = current(list);
        if (index >= 0) {
          event.preventDefault();
          choose(select, input, list, options(list)[index]);
        }
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close(input, list);
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(function () {
        close(input, list);
        var picked = select.options[select.selectedIndex];
        if (input.value.trim() && picked && picked.value) { input.value = picked.text; }
      }, 150);
    });
    list.addEventListener("mousedown", function (event) {
      var option = event.target.closest('[role="option"]:not([aria-disabled="true"])');
      if (option) {
        event.preventDefault();
        choose(select, input, list, option);
      }
    });
    list.addEventListener("htmx:afterSwap", function () {
      var open = list.children.length > 0 && document.activeElement === input;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      input.removeAttribute("aria-activedescendant");
    });
  }

  function enhanceAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-picker]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  } else {
    enhanceAll(document);
  }
  document.addEventListener("htmx:load", function (event) { enhanceAll(event.target); });
})();
