// "Copy" buttons for read-only fields, such as a calendar's address (templates/ical/_subscribe.html).
//
// Progressive enhancement: each button is hidden in the page and shown here, so that a
// browser without JavaScript shows only the field, which people select and copy by hand.
// A button names its field (data-copy="ID"), the status line that tells what happened
// (data-status="ID") and the texts to say there (data-copied, data-select), which the
// page translates.
// Where the clipboard cannot be written (an old browser, a page not served over
// https), the address is selected instead and the person is told to copy it.
(function () {
  "use strict";

  function announce(button, text) {
    var status = document.getElementById(button.dataset.status);
    if (status) {
      // A change of text is what a screen reader announces: clear first, so that a
      // second press is announced too.
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }
  }

  function selectAll(field) {
    field.focus();
    field.setSelectionRange(0, field.value.length);
  }

  function copy(button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    var fallback = function () {
      selectAll(field);
      announce(button, button.dataset.select);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () {
        announce(button, button.dataset.copied);
      }, fallback);
    } else {
      fallback();
    }
  }

  function enhance(button) {
    if (button.dataset.copyReady) return; // the page may load this script more than once
    button.dataset.copyReady = "1";
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () { copy(button); });
    // One tap selects the whole address, to copy it with the phone's own menu.
    field.addEventListener("focus", function () { selectAll(field); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
