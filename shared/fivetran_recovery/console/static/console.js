// Fivetran Recovery console: the only script (CSP default-src 'self'). It never sees the session cookie
// (HttpOnly) and stores nothing. Pages marked data-refresh reload themselves while nobody is typing.
(function () {
  "use strict";
  var seconds = parseInt(document.body.getAttribute("data-refresh") || "0", 10);
  if (!seconds) { return; }
  window.setInterval(function () {
    var active = document.activeElement;
    var typing = active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA");
    var filled = Array.prototype.some.call(document.querySelectorAll("textarea, input[name=reason]"),
      function (field) { return field.value !== ""; });
    if (!typing && !filled && !document.querySelector("details[open]")) { window.location.reload(); }
  }, seconds * 1000);
})();
