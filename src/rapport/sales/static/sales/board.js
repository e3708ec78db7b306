// Rapport sales board: drag a deal card to another column (SortableJS) and post the move (HTMX).
// The post carries the card's version: if someone changed the deal meanwhile the server answers
// 409, the card goes back where it was and the reason is announced. No inline script (CSP).
(function () {
  "use strict";

  function announce(text, isError) {
    var status = document.getElementById("board-status");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  function putBack(evt) {
    var reference = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, reference);
  }

  // HTMX posts the move (with the CSRF header from <body hx-headers>), swaps the fresh card in
  // and the two column headers out of band; an error answer swaps nothing and we put the card back.
  function move(evt, board) {
    var card = evt.item;
    var stage = evt.to.getAttribute("data-stage");
    var title = card.querySelector(".deal-card-title");
    var name = title ? title.textContent : "The deal";
    var failure = null;
    function onError(event) { failure = event.detail.xhr ? (event.detail.xhr.responseText || ("HTTP " + event.detail.xhr.status)) : "network error"; }
    card.addEventListener("htmx:responseError", onError);
    card.addEventListener("htmx:sendError", onError);
    card.setAttribute("aria-busy", "true");
    window.htmx.ajax("POST", card.getAttribute("data-move-url"), {
      source: card,
      target: card,
      swap: "outerHTML",
      values: { stage: stage, version: card.getAttribute("data-version"), filters: board.getAttribute("data-filters") || "" }
    }).then(function () {
      card.removeEventListener("htmx:responseError", onError);
      card.removeEventListener("htmx:sendError", onError);
      card.removeAttribute("aria-busy");
      if (failure) {
        putBack(evt);
        announce(failure + " The card went back to its column.", true);
      } else {
        var column = document.getElementById("column-title-" + stage);
        announce(name + " moved to " + (column ? column.firstChild.textContent.trim() : "the stage") + ".", false);
      }
    });
  }

  function start() {
    var board = document.querySelector("[data-board]");
    if (!board || !window.Sortable || !window.htmx) return;
    // Settling copies attributes from the old card to the new one; Sortable leaves a style
    // attribute on the dragged card, and the CSP refuses style attributes set from script.
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
    board.querySelectorAll(".board-list").forEach(function (list) {
      window.Sortable.create(list, {
        group: "deals",
        draggable: ".deal-card",
        animation: 120,
        ghostClass: "deal-card-ghost",
        onEnd: function (evt) {
          if (evt.from === evt.to) return; // order inside a column is not stored
          move(evt, board);
        }
      });
    });
  }

  if (document.readyState !== "loading") start(); else document.addEventListener("DOMContentLoaded", start);
})();
