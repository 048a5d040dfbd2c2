// Small behaviours without inline script (CSP: script-src 'self').
document.addEventListener("click", function (event) {
  var el = event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
document.addEventListener("htmx:responseError", function (event) {
  var box = document.querySelector(".flashes") || document.createElement("div");
  box.className = "flashes";
  var p = document.createElement("p");
  p.className = "flash flash-error";
  var xhr = event.detail.xhr;
  var text = "操作未能完成（" + xhr.status + "）";
  var m = /<div class="flash flash-error"[^>]*>([^<]*)</.exec(xhr.responseText || "");
  if (m) { text = m[1]; }
  p.textContent = text;
  box.appendChild(p);
  var main = document.querySelector("main.page");
  if (main && !box.parentNode) { main.insertBefore(box, main.firstChild); }
});
// Bring the current step of a wide swimlane diagram into view.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".diagram-screen").forEach(function (box) {
    var step = box.querySelector("g.current");
    if (!step) { return; }
    var offset = step.getBoundingClientRect().left - box.getBoundingClientRect().left;
    box.scrollLeft = Math.max(0, offset - box.clientWidth / 3);
  });
});
// A panel marked data-swap-errors shows a 422 answer (its Chinese message) in place.
document.addEventListener("htmx:beforeSwap", function (event) {
  var target = event.detail.target;
  if (event.detail.xhr.status === 422 && target && target.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// Main menu dropdowns (<details>): one open at a time; a click elsewhere or Esc closes them.
(function () {
  function groups() { return document.querySelectorAll(".menu-group"); }
  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!opened.classList || !opened.classList.contains("menu-group") || !opened.open) { return; }
    groups().forEach(function (g) { if (g !== opened) { g.open = false; } });
  }, true);
  document.addEventListener("click", function (event) {
    if (event.target.closest(".menu-group")) { return; }
    groups().forEach(function (g) { g.open = false; });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = document.querySelector(".menu-group[open]");
    if (!open) { return; }
    open.open = false;
    open.querySelector("summary").focus();
  });
})();
